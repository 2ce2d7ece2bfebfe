using System.CommandLine;
using Bszo.Cli.Display;
using Bszo.Cli.Setup;
using Bszo.Models.Adapters;
using Bszo.Ort.Graph;
using Spectre.Console;

namespace Bszo.Cli.Commands;

/// <summary><c>bszo prepare</c>: turn a model into a training model (weights as inputs, a loss head) once, for several runs.</summary>
internal static class PrepareCommand
{
    /// <summary>Longer help: what the command does and examples (printed after the options by --help).</summary>
    public const string Details = """
        Prepare a model for training: its trainable weights become inputs whose memory Bszo owns, and a loss
        head is attached for the model's kind. `bszo finetune` does this by itself; prepare once to share the
        result between runs (`bszo finetune --prepared DIR`) or to check which tensors will be trained.

        Examples:
          bszo prepare --model ./my-model --out prepared/my-model
          bszo prepare --model ./my-model --out prepared/top --trainable "layer_1/*" --trainable "head/*"
          bszo prepare --model ./my-model --out prepared/top2 --train-top-layers 2
          bszo prepare --model ./my-model --out prepared/lora --lora 8
          bszo prepare --model ./my-model --list
        """;

    private static readonly Option<string?> Out = new("--out", "-o") { Description = "Directory to write the training model into.", HelpName = "dir" };
    private static readonly Option<bool> List = new("--list") { Description = "List the model's initializers and exit." };
    private static readonly TaskOptions TaskOptions = new();
    private static readonly ModelOptions ModelOptions = new();
    private static readonly TrainableOptions TrainableOptions = new();

    public static Command Create(CliConsole console)
    {
        var command = new Command("prepare", "Prepare a model for training (weights as inputs, a loss head) once, to share between runs.");
        ModelOptions.AddTo(command);
        command.Options.Add(Out);
        TrainableOptions.AddTo(command);
        command.Options.Add(List);
        TaskOptions.AddTo(command);
        command.SetAction(p => Guard.Run(console, () => Execute(p, console)));
        return command;
    }

    private static int Execute(ParseResult p, CliConsole console)
    {
        var log = (string line) => console.Error.WriteLine($"bszo: {line}");
        var taskSettings = TaskOptions.Read(p);
        var request = ModelOptions.Read(p, taskSettings.ResolveTask());
        if (p.GetValue(List))
        {
            var card = ModelResolver.Resolve(request with { Log = log });
            var model = OnnxModelFile.Load(card.Resolve(card.Model));
            var trainable = NameGlob.Create(card.Trainable);
            var table = new Table().AddColumns("initializer", "type", "shape", "elements", "trained by default");
            foreach (var t in model.Graph.Initializer)
            {
                bool trained = TrainingModelBuilder.Selects(t, trainable);
                table.AddRow(Markup.Escape(t.Name), OnnxDataType.Name(t.DataType), Markup.Escape($"[{string.Join(", ", t.Dims)}]"),
                    t.Dims.Aggregate(1L, (a, b) => a * b).ToString("N0", System.Globalization.CultureInfo.InvariantCulture), trained ? "yes" : "");
            }
            console.Ansi.Write(table);
            return ExitCodes.Ok;
        }
        var output = p.GetValue(Out) ?? Bszo.Ort.Throw.Bszo<string>("bszo prepare needs --out.", "--out DIR", "none");
        var selection = TrainableOptions.Read(p);
        Suspicions.Review([.. Suspicions.OfTrainable(selection.Patterns)], taskSettings.AllowSuspicious, console);
        var setup = ModelSetup.Resolve(request, prepared: null, selection, Path.GetFullPath(output), log);
        var m = setup.Prepared.Manifest;
        console.Out.WriteLine(FormattableString.Invariant($"prepared {m.SourceModel}"));
        console.Out.WriteLine(FormattableString.Invariant($"  into {setup.Prepared.Directory}: {m.Tensors.Count} trainable tensors, {m.ElementCount:N0} weights, loss head {setup.Prepared.Loss.Kind}"));
        const int Shown = 12;
        console.Out.WriteLine($"  trains: {string.Join(", ", m.Tensors.Take(Shown).Select(t => t.Name))}{(m.Tensors.Count > Shown ? $" and {m.Tensors.Count - Shown} more" : "")}");
        foreach (var adapter in m.Lora)
        {
            var columns = adapter.Columns is null ? "" : $", columns {string.Join(" and ", adapter.Columns.Select(c => $"{c.Start}–{c.Start + c.Count - 1}"))}";
            console.Out.WriteLine(FormattableString.Invariant($"  LoRA rank {adapter.Rank} on {adapter.Weight} [{adapter.In}×{adapter.Out}{columns}]"));
        }
        console.Out.WriteLine(FormattableString.Invariant($"  next: bszo finetune --prepared {setup.Prepared.Directory} --task ..."));
        return ExitCodes.Ok;
    }
}
