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
          bszo prepare --model ./my-model --list
        """;

    private static readonly Option<string?> Model = new("--model") { Description = $"Model directory with bszo-model.json (default: {DefaultModel.Description}).", HelpName = "dir" };
    private static readonly Option<string?> Out = new("--out", "-o") { Description = "Directory to write the training model into.", HelpName = "dir" };
    private static readonly Option<string[]> Trainable = new("--trainable") { Description = "Names or globs of the tensors to train (repeatable; default: the card's list, else every float tensor).", HelpName = "pattern" };
    private static readonly Option<bool> List = new("--list") { Description = "List the model's initializers and exit." };
    private static readonly Option<bool> AllowSuspicious = Suspicions.CreateOption();

    public static Command Create(CliConsole console)
    {
        var command = new Command("prepare", "Prepare a model for training (weights as inputs, a loss head) once, to share between runs.") { Model, Out, Trainable, List, AllowSuspicious };
        command.SetAction(p => Guard.Run(console, () => Execute(p, console)));
        return command;
    }

    private static int Execute(ParseResult p, CliConsole console)
    {
        var log = (string line) => console.Error.WriteLine($"bszo: {line}");
        if (p.GetValue(List))
        {
            var directory = p.GetValue(Model) ?? DefaultModel.Resolve(log);
            var card = ModelCard.Load(directory);
            var model = OnnxModelFile.Load(card.Resolve(card.Model));
            var table = new Table().AddColumns("initializer", "type", "shape", "elements");
            foreach (var t in model.Graph.Initializer)
            {
                table.AddRow(Markup.Escape(t.Name), OnnxDataType.Name(t.DataType), Markup.Escape($"[{string.Join(", ", t.Dims)}]"), t.Dims.Aggregate(1L, (a, b) => a * b).ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            }
            console.Ansi.Write(table);
            return ExitCodes.Ok;
        }
        var output = p.GetValue(Out) ?? throw new Bszo.Ort.BszoException(Bszo.Ort.BszoException.Format("bszo prepare needs --out.", "--out DIR", "none"));
        var trainable = p.GetValue(Trainable) ?? [];
        Suspicions.Review([.. Suspicions.OfTrainable(trainable)], p.GetValue(AllowSuspicious), console);
        var setup = ModelSetup.Resolve(p.GetValue(Model), prepared: null, trainable, Path.GetFullPath(output), log);
        var m = setup.Prepared.Manifest;
        console.Out.WriteLine(FormattableString.Invariant($"prepared {m.SourceModel}"));
        console.Out.WriteLine(FormattableString.Invariant($"  into {setup.Prepared.Directory}: {m.Tensors.Count} trainable tensors, {m.ElementCount:N0} weights, loss head {setup.Prepared.Loss.Kind}"));
        console.Out.WriteLine(FormattableString.Invariant($"  next: bszo finetune --prepared {setup.Prepared.Directory} --task ..."));
        return ExitCodes.Ok;
    }
}
