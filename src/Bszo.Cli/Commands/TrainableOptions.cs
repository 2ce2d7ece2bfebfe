using System.CommandLine;
using System.Globalization;
using Bszo.Models.Training;
using Bszo.Ort;
using Bszo.Ort.Graph;

namespace Bszo.Cli.Commands;

/// <summary>What to train, shared by `finetune` and `prepare`: tensor patterns, the top layers, LoRA adapters.</summary>
internal sealed class TrainableOptions
{
    public Option<string[]> Trainable { get; } = new("--trainable")
    {
        Description = "Names or globs of the tensors to train (repeatable; default: the card's list, else every float tensor). Adds to --train-top-layers and --lora.",
        HelpName = "pattern",
    };

    public Option<int?> TopLayers { get; } = new("--train-top-layers")
    {
        Description = "Train the last n transformer layers and what follows them (final norm, pooler, head); the frozen layers run once per example. " +
                      "Layers are found by names such as layer.3, layers.3, h.3 or block.3 (0: only what follows the last layer).",
        HelpName = "n",
    };

    public Option<int?> Lora { get; } = new("--lora")
    {
        Description = "Train LoRA adapters of this rank on the attention's query and value projections (--lora-target to choose others); merged into the weights on export.",
        HelpName = "rank",
    };

    public Option<double?> LoraAlpha { get; } = new("--lora-alpha") { Description = "LoRA scale α (the adapter adds α/rank · x·A·B; default: 2 × rank).", HelpName = "alpha" };

    public Option<string[]> LoraTarget { get; } = new("--lora-target")
    {
        Description = "Names or globs of the MatMul weights to adapt (repeatable; matched against the weight's, its bias's and its node's names; " +
                      "default: query and value, the query and value thirds of fused qkv/c_attn projections).",
        HelpName = "pattern",
    };

    /// <summary>The options, in help order.</summary>
    public IEnumerable<Option> All => [Trainable, TopLayers, Lora, LoraAlpha, LoraTarget];

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
    }

    /// <summary>The selection given, checked.</summary>
    public TrainableSelection Read(ParseResult p)
    {
        int? top = p.GetValue(TopLayers), rank = p.GetValue(Lora);
        double? alpha = p.GetValue(LoraAlpha);
        var targets = p.GetValue(LoraTarget) ?? [];
        if (top is < 0) throw Invalid("--train-top-layers", "a number of layers ≥ 0", top.Value);
        if (rank is < 1) throw Invalid("--lora", "a rank ≥ 1", rank.Value);
        if (alpha is double a && !(a > 0 && double.IsFinite(a))) throw Invalid("--lora-alpha", "a finite value > 0", a);
        if (rank is null && (alpha is not null || targets.Length > 0))
        {
            Throw.Bszo($"{(alpha is not null ? "--lora-alpha" : "--lora-target")} without --lora.", "--lora RANK to insert adapters",
                "no rank", "add --lora 8 (MeZO's rank), or drop the LoRA options.");
        }
        return new TrainableSelection
        {
            Patterns = p.GetValue(Trainable) ?? [],
            TopLayers = top,
            Lora = rank is int r ? new LoraOptions
            {
                Rank = r,
                Alpha = alpha ?? 2.0 * r,
                Targets = targets.Length > 0 ? targets : LoraOptions.QueryValueTargets,
                FusedQueryValue = targets.Length > 0 ? [] : LoraOptions.FusedQueryValueTargets,
            } : null,
        };
    }

    private static BszoException Invalid(string option, string expected, object found) =>
        new(BszoException.Format($"Invalid value for {option}.", expected, Convert.ToString(found, CultureInfo.InvariantCulture)));
}
