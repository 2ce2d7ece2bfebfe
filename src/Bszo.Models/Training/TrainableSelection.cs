using Bszo.Ort.Graph;

namespace Bszo.Models.Training;

/// <summary>
/// What a run trains: tensors named by patterns, the top layers of the model, LoRA adapters, or a
/// combination (see <see cref="PrepareOptions"/>); nothing chosen means the model card's list.
/// </summary>
public sealed record TrainableSelection
{
    /// <summary>Names or globs of tensors to train (<c>--trainable</c>).</summary>
    public IReadOnlyList<string> Patterns { get; init; } = [];

    /// <summary>The last this-many transformer layers and what follows them (<c>--train-top-layers</c>).</summary>
    public int? TopLayers { get; init; }

    /// <summary>LoRA adapters (<c>--lora</c>).</summary>
    public LoraOptions? Lora { get; init; }

    /// <summary>Whether nothing was chosen, so the card's trainable tensors apply.</summary>
    public bool IsCardDefault => Patterns.Count == 0 && TopLayers is null && Lora is null;

    /// <summary>The selection from patterns alone.</summary>
    public static TrainableSelection FromPatterns(IReadOnlyList<string> patterns) => new() { Patterns = patterns ?? [] };

    /// <summary>The prepare options for this selection; <paramref name="cardTrainable"/> applies when nothing was chosen.</summary>
    public PrepareOptions ToPrepareOptions(LossHead loss, IReadOnlyList<string> cardTrainable) => new()
    {
        Loss = loss,
        Trainable = IsCardDefault ? cardTrainable : Patterns,
        TrainTopLayers = TopLayers,
        Lora = Lora,
    };

    /// <summary>In words, for messages: e.g. "the top 2 layers and LoRA rank 8".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (TopLayers is int n) parts.Add(n == 0 ? "what follows the last layer" : $"the top {n} layer{(n == 1 ? "" : "s")}");
        if (Lora is not null) parts.Add($"LoRA rank {Lora.Rank}");
        if (Patterns.Count > 0) parts.Add(string.Join(" ", Patterns));
        return parts.Count == 0 ? "the model card's tensors" : string.Join(" and ", parts);
    }
}
