using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Bszo.Cli.Display;
using Bszo.Cli.Setup;
using Bszo.Models.Export;
using Bszo.Models.Training;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Cli.Commands;

/// <summary><c>bszo export</c>: the original graph with the fine-tuned weights, verified, ready to deploy.</summary>
internal static class ExportCommand
{
    /// <summary>Longer help: what the command does and examples (printed after the options by --help).</summary>
    public const string Details = """
        Export a fine-tuned model for deployment: the original ONNX graph, unchanged, with the fine-tuned weights
        as its initializers (in the dtypes the source stored), in one external data file beside it, plus the
        model's card and tokenizer files. The result is loaded in a fresh ONNX Runtime session and its outputs
        are compared with the training graph's before it is written. Load it exactly as you loaded the base model.

        Examples:
          bszo export --run runs/sst2 --out deploy/sst2
          bszo export --run runs/sst2 --out deploy/sst2 --weights final
          bszo export --run runs/sst2 --out deploy/sst2 --from-log          (rebuild from base model + trajectory)
          bszo export --run runs/sst2 --out models_repo --triton sst2       (Triton model repository layout)
        """;

    private static readonly Option<string> Run = new("--run") { Description = "Run directory of `bszo finetune`.", Required = true, HelpName = "dir" };
    private static readonly Option<string> Out = new("--out", "-o") { Description = "New directory for the exported model.", Required = true, HelpName = "dir" };
    private static readonly Option<string> Weights = new Option<string>("--weights") { Description = "best (best dev score, default) or final (after the last step).", DefaultValueFactory = _ => "best", HelpName = "which" }.OneOf("best", "final");
    private static readonly Option<bool> FromLog = new("--from-log") { Description = "Rebuild the weights from the base model and trajectory.jsonl alone, and check them against the run's checksum." };
    private static readonly Option<string?> Triton = new("--triton") { Description = "Write a Triton model repository entry: <out>/<name>/config.pbtxt and <out>/<name>/1/model.", HelpName = "name" };
    private static readonly Option<string?> Source = new("--source") { Description = "The original ONNX model, if it moved since the run.", HelpName = "file" };
    private static readonly Option<bool> Force = new("--force") { Description = "Replace --out if it exists (only after the new export is complete)." };
    private static readonly Option<bool> NoVerify = new("--no-verify") { Description = "Skip the comparison with the training graph." };

    public static Command Create(CliConsole console)
    {
        var command = new Command("export", "Export the original graph with the fine-tuned weights, verified, ready to deploy.") { Run, Out, Weights, FromLog, Triton, Source, Force, NoVerify };
        command.SetAction(p => Guard.Run(console, () => Execute(p, console)));
        return command;
    }

    private static int Execute(ParseResult p, CliConsole console)
    {
        var run = RunDirectory.At(p.GetValue(Run)!);
        var settings = RunConfig.LoadSettings(run);
        var log = (string line) => console.Error.WriteLine($"bszo: {line}");
        var model = ModelSetup.FromPrepared(RunConfig.PreparedDirectory(run));
        var weights = RunWeights.Find(run, p.GetValue(Weights)!);
        var which = weights.Which;
        long step = weights.Step;

        using var store = WeightStore.Load(model.Prepared);
        if (p.GetValue(FromLog))
        {
            long replayed = TrajectoryReplay.Replay(model.Prepared, store, run.Trajectory, step);
            var actual = store.Checksum();
            if (actual != weights.Sha256)
            {
                throw new BszoException(BszoException.Format($"Replaying {replayed} steps of '{run.Trajectory}' does not reproduce the run's {which} weights.",
                    weights.Sha256, actual, "the log, the base model or this version of Bszo differs from the run's; export without --from-log."));
            }
            console.Out.WriteLine(FormattableString.Invariant($"replayed {replayed} steps from the base weights; checksum {actual[..16]}… matches the run's {which} weights"));
        }
        else
        {
            weights.LoadInto(store, model.Prepared);
        }

        var provenance = new JsonObject
        {
            ["run"] = run.Root,
            ["weights"] = which,
            ["step"] = step,
            ["reconstructed_from_log"] = p.GetValue(FromLog),
            ["task"] = settings.Task.Task,
            ["optimizer"] = settings.Spec?.Optimizer,
            ["created"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["versions"] = RunConfig.Versions(),
        };
        IReadOnlyList<OutputComparison> comparisons = [];
        using var session = TrainingGraphSession.Create(model.Prepared, store);
        var result = DeployExporter.Export(model.Prepared, store, p.GetValue(Out)!, new DeployExportOptions
        {
            Overwrite = p.GetValue(Force),
            TritonModelName = p.GetValue(Triton),
            SourceModel = p.GetValue(Source),
            Provenance = provenance,
        }, verify: p.GetValue(NoVerify) ? null : exported =>
        {
            var (_, data) = settings.Task.Load(model.Card, log);
            var examples = data.Dev.Take(model.Adapter.FixedBatchSize ?? 8).ToList();
            using var batch = model.Adapter.Collate(examples);
            // Numeric outputs are compared; others (strings, sequences) have nothing to tolerate. A candidate
            // head's logits are compared through the scores computed from them (its graph has no logits output).
            var scoredLogits = (model.Prepared.Loss as CandidateLossHead)?.Logits;
            var outputs = model.Prepared.Manifest.ModelOutputs
                .Where(o => (session.OutputMetadata.TryGetValue(o, out var m) && m.IsTensor
                             && m.ElementDataType is Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float or Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16)
                            || (o == scoredLogits && !session.OutputMetadata.ContainsKey(o)))
                .ToList();
            comparisons = ExportVerifier.Compare(exported, session, batch, outputs);
        });

        console.Out.WriteLine($"exported {which} weights (step {step}) to {result.Directory}");
        console.Out.WriteLine($"  model: {result.ModelPath}");
        console.Out.WriteLine($"  data:  {result.DataFile} (external data, relative to the model)");
        if (result.CopiedFiles.Count > 0) console.Out.WriteLine($"  files: {string.Join(", ", result.CopiedFiles)}");
        foreach (var c in comparisons)
        {
            console.Out.WriteLine(FormattableString.Invariant($"  verified: output '{c.Output}' matches the training graph (max difference {c.MaxAbsDifference:G3} over {c.Elements} values) in a fresh ONNX Runtime session"));
        }
        return ExitCodes.Ok;
    }
}
