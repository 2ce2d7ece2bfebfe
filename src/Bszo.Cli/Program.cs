using System.CommandLine;
using Bszo.Cli.Commands;
using Bszo.Cli.Display;
using Bszo.Ort;

namespace Bszo.Cli;

/// <summary>Entry point of the <c>bszo</c> command.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl-C: stop after the current forward pass, with the run resumable. Second: exit now.
            if (interrupt.IsCancellationRequested) return;
            e.Cancel = true;
            interrupt.Cancel();
        };
        return Run(args, CliConsole.ForProcess(), interrupt.Token);
    }

    /// <summary>Parses and runs one command line; returns the exit code. Used by Main and by tests.</summary>
    public static int Run(string[] args, CliConsole console, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        var root = BuildRoot(console, cancel);
        ParseResult parsed;
        try
        {
            parsed = ConfigFile.ParseWithConfig(root, args);
            parsed = FinetuneCommand.WithRunArguments(root, parsed);
        }
        catch (BszoException e)
        {
            return console.Fail(e);
        }
        if (parsed.Errors.Count > 0 && parsed.Action is not ExamplesHelp) return ParseErrors.Print(console, parsed);
        return parsed.Invoke(new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false });
    }

    private const string RootDetails = """
        The result of a run is the original ONNX graph with fine-tuned weights, ready for the inference
        server that ran the base model.

        A first run:
          bszo finetune                                    the default model on SST-2-style sentiment
          bszo finetune --model ./my-model --task rte --train rte/train.jsonl
          bszo export --run runs/<run> --out deploy/my-model

        Each command has its own help, e.g. bszo finetune --help
        """;

    /// <summary>The command tree.</summary>
    internal static RootCommand BuildRoot(CliConsole console, CancellationToken cancel)
    {
        var root = new RootCommand("Bszo fine-tunes ONNX models with zeroth-order optimizers: forward passes only, in the memory of inference.");
        root.Subcommands.Add(PrepareCommand.Create(console));
        root.Subcommands.Add(FinetuneCommand.Create(console, cancel));
        root.Subcommands.Add(EvalCommand.Create(console));
        root.Subcommands.Add(ExportCommand.Create(console));
        root.Subcommands.Add(OptimizersCommand.Create(console));
        root.Subcommands.Add(WorkerCommand.Create(console, cancel));
        OptionRules.RequireFiniteNumbers(root);
        ExamplesHelp.Install(root, new Dictionary<string, string>
        {
            ["prepare"] = PrepareCommand.Details,
            ["finetune"] = FinetuneCommand.Details,
            ["eval"] = EvalCommand.Details,
            ["export"] = ExportCommand.Details,
            [root.Name] = RootDetails,
        });
        return root;
    }
}
