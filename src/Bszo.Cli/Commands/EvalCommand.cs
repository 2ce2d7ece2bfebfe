using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Bszo.Cli.Display;
using Bszo.Cli.Setup;
using Bszo.Models.Evaluation;
using Bszo.Models.Training;
using Bszo.Ort;
using Bszo.Ort.Runtime;
using Spectre.Console;

namespace Bszo.Cli.Commands;

/// <summary><c>bszo eval</c>: score a model (a run's weights, or any model directory such as an export) on a task.</summary>
internal static class EvalCommand
{
    /// <summary>Longer help: what the command does and examples (printed after the options by --help).</summary>
    public const string Details = """
        Score a model on a task's test (or dev) split: the mean loss and accuracy (or F1 for SQuAD/DROP).

        Examples:
          bszo eval --run runs/sst2                          (the run's best weights, on the run's own test split)
          bszo eval --run runs/sst2 --weights base           (the zero-shot score again)
          bszo eval --model deploy/sst2 --task sst2          (an exported model, or any model directory)
          bszo eval --model ./my-model --task custom --data reviews.csv --template "{sentence} It was" \
              --verbalizer '{"0":" terrible","1":" great"}'
        """;

    private static readonly Option<string?> Run = new("--run") { Description = "Run directory: evaluates its weights on its own task and data.", HelpName = "dir" };
    private static readonly Option<string?> Model = new("--model") { Description = "Model directory with bszo-model.json (e.g. the output of `bszo export`).", HelpName = "dir" };
    private static readonly Option<string> Weights = new("--weights") { Description = "With --run: best (default), final or base.", DefaultValueFactory = _ => "best", HelpName = "which" };
    private static readonly Option<string> Split = new("--split") { Description = "test (default) or dev.", DefaultValueFactory = _ => "test", HelpName = "split" };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Examples per forward pass.", DefaultValueFactory = _ => 32, HelpName = "n" };
    private static readonly Option<bool> JsonOutput = new("--json") { Description = "Print the result as one JSON object." };
    private static readonly TaskOptions TaskOptions = new();

    public static Command Create(CliConsole console)
    {
        var command = new Command("eval", "Score a run's weights, or any model directory (e.g. an export), on a task.") { Run, Model, Weights, Split, BatchSize, JsonOutput };
        TaskOptions.AddTo(command);
        command.SetAction(p => Guard.Run(console, () => Execute(p, console)));
        return command;
    }

    private static int Execute(ParseResult p, CliConsole console)
    {
        var log = p.GetValue(JsonOutput) ? (Action<string>)(_ => { }) : line => console.Error.WriteLine($"bszo: {line}");
        var runPath = p.GetValue(Run);
        var modelPath = p.GetValue(Model);
        if ((runPath is null) == (modelPath is null))
        {
            throw new BszoException(BszoException.Format("bszo eval needs exactly one of --run and --model.", "--run DIR or --model DIR",
                runPath is null ? "neither" : "both"));
        }

        TaskSettings taskSettings;
        ModelSetup model;
        string? temp = null;
        string weightsLabel;
        CheckpointInfo? snapshot = null;
        try
        {
            if (runPath is not null)
            {
                var run = RunDirectory.At(runPath);
                taskSettings = RunConfig.LoadSettings(run).Task;
                model = ModelSetup.Resolve(null, RunConfig.PreparedDirectory(run), [], run.Prepared, log);
                weightsLabel = p.GetValue(Weights)!.Trim().ToLowerInvariant();
                snapshot = weightsLabel switch
                {
                    "base" => null,
                    "final" => Checkpoints.Newest(run.Checkpoints) ?? throw new BszoException(BszoException.Format($"'{run.Root}' has no checkpoint.")),
                    "best" => BestSnapshot(run),
                    _ => throw new BszoException(BszoException.Format($"Unknown --weights '{weightsLabel}'.", "best, final or base", weightsLabel)),
                };
            }
            else
            {
                taskSettings = TaskOptions.Read(p);
                temp = Directory.CreateTempSubdirectory("bszo-eval-").FullName;
                model = ModelSetup.Resolve(modelPath, prepared: null, [], temp, log);
                weightsLabel = "model";
            }

            var (task, data) = taskSettings.Load(log);
            var split = p.GetValue(Split)!.Trim().ToLowerInvariant();
            var examples = split switch
            {
                "test" => data.Test,
                "dev" => data.Dev,
                _ => throw new BszoException(BszoException.Format($"Unknown --split '{split}'.", "test or dev", split)),
            };
            using var store = WeightStore.Load(model.Prepared);
            if (snapshot is not null) store.LoadFrom(snapshot.Manifest, snapshot.WeightsPath);
            using var session = TrainingGraphSession.Create(model.Prepared, store);
            var result = new TaskEvaluator(model.Adapter, session, task, p.GetValue(BatchSize)).Evaluate(examples);
            Print(console, p.GetValue(JsonOutput), result, task.Name, split, weightsLabel, store.Checksum());
            return ExitCodes.Ok;
        }
        finally
        {
            if (temp is not null) Directory.Delete(temp, recursive: true);
        }
    }

    private static CheckpointInfo? BestSnapshot(RunDirectory run)
    {
        var pointer = File.Exists(run.BestPointer) ? JsonNode.Parse(File.ReadAllText(run.BestPointer)) : null;
        var dir = pointer?["directory"]?.GetValue<string>();
        return dir is null ? null : new CheckpointInfo(pointer!["step"]!.GetValue<long>(), Path.Combine(run.Root, dir));
    }

    private static void Print(CliConsole console, bool json, EvalResult result, string task, string split, string weights, string checksum)
    {
        if (json)
        {
            var line = new JsonObject
            {
                ["task"] = task,
                ["split"] = split,
                ["weights"] = weights,
                [$"{split}_loss"] = result.Loss,
                [$"{split}_{result.MetricName}"] = result.Metric,
                [$"{split}_examples"] = result.Examples,
                ["weights_sha256"] = checksum,
            };
            console.Out.WriteLine(line.ToJsonString());
            return;
        }
        var table = new Table().AddColumns("task", "split", "weights", result.MetricName, "loss", "examples");
        table.AddRow(Markup.Escape(task), Markup.Escape(split), Markup.Escape(weights), result.Metric.ToString("P2", CultureInfo.InvariantCulture), result.Loss.ToString("F4", CultureInfo.InvariantCulture),
            result.Examples.ToString(CultureInfo.InvariantCulture));
        console.Ansi.Write(table);
    }
}
