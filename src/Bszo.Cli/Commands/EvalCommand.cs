using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Bszo.Cli.Display;
using Bszo.Cli.Setup;
using Bszo.Models.Evaluation;
using Bszo.Models.Tasks;
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
    private static readonly Option<string> Weights = new Option<string>("--weights") { Description = "With --run: best (default), final or base.", DefaultValueFactory = _ => "best", HelpName = "which" }.OneOf("best", "final", "base");
    private static readonly Option<string> Split = new Option<string>("--split") { Description = "test (default) or dev.", DefaultValueFactory = _ => "test", HelpName = "split" }.OneOf("test", "dev");
    private static readonly Option<int> BatchSize = new Option<int>("--batch-size") { Description = "Examples per forward pass.", DefaultValueFactory = _ => 32, HelpName = "n" }.AtLeast(1);
    private static readonly Option<bool> JsonOutput = new("--json") { Description = "Print the result as one JSON object." };
    private static readonly TaskOptions TaskOptions = new();
    private static readonly ModelOptions ModelOptions = new();

    public static Command Create(CliConsole console)
    {
        var command = new Command("eval", "Score a run's weights, or any model (e.g. an export), on a task.") { Run };
        ModelOptions.AddTo(command);
        foreach (var o in new Option[] { Weights, Split, BatchSize, JsonOutput }) command.Options.Add(o);
        TaskOptions.AddTo(command);
        command.SetAction(p => Guard.Run(console, () => Execute(p, console)));
        return command;
    }

    private static int Execute(ParseResult p, CliConsole console)
    {
        var log = p.GetValue(JsonOutput) ? (Action<string>)(_ => { }) : line => console.Error.WriteLine($"bszo: {line}");
        var runPath = p.GetValue(Run);
        var modelPath = p.GetValue(ModelOptions.Model);
        if ((runPath is null) == (modelPath is null))
        {
            throw new BszoException(BszoException.Format("bszo eval needs exactly one of --run and --model.", "--run DIR or --model NAME|DIR|FILE",
                runPath is null ? "neither" : "both"));
        }

        TaskSettings taskSettings;
        ModelSetup model;
        string? temp = null;
        RunWeights? weights = null;
        try
        {
            if (runPath is not null)
            {
                var run = RunDirectory.At(runPath);
                // The run's own task and data, with the data options given here in place of the run's.
                taskSettings = TaskOptions.OverRun(p, RunConfig.LoadSettings(run).Task);
                model = ModelSetup.FromPrepared(RunConfig.PreparedDirectory(run));
                weights = RunWeights.Find(run, p.GetValue(Weights)!);
            }
            else
            {
                if (p.GetResult(Weights) is { Implicit: false })
                {
                    throw new BszoException(BszoException.Format("--weights applies to --run.", "--run DIR --weights best|final|base", $"--model {modelPath} --weights {p.GetValue(Weights)}",
                        "a model directory has one set of weights; leave out --weights."));
                }
                taskSettings = TaskOptions.Read(p);
                temp = Directory.CreateTempSubdirectory("bszo-eval-").FullName;
                model = ModelSetup.Resolve(ModelOptions.Read(p, taskSettings.ResolveTask()), prepared: null, new TrainableSelection(), temp, log);
            }

            var split = p.GetValue(Split)!.Trim().ToLowerInvariant();
            var (task, data) = taskSettings.Load(log);
            Suspicions.Review(InputConcerns.Of(task, data), taskSettings.AllowSuspicious, console);
            var examples = split == "test" ? data.Test : data.Dev;
            using var store = WeightStore.Load(model.Prepared);
            weights?.LoadInto(store, model.Prepared);
            using var session = TrainingGraphSession.Create(model.Prepared, store);
            var result = new TaskEvaluator(model.Adapter, session, task, p.GetValue(BatchSize)).Evaluate(examples);
            var label = weights?.Describe() ?? "model";
            log($"scored the {label} (SHA-256 {store.Checksum()[..16]}…) on the {split} split of {taskSettings.ResolveSource().ForTask(task.Name).Describe()}");
            Print(console, p.GetValue(JsonOutput), result, task.Name, split, weights, store.Checksum());
            return ExitCodes.Ok;
        }
        finally
        {
            if (temp is not null) Directory.Delete(temp, recursive: true);
        }
    }

    private static void Print(CliConsole console, bool json, EvalResult result, string task, string split, RunWeights? weights, string checksum)
    {
        if (json)
        {
            var line = new JsonObject
            {
                ["task"] = task,
                ["split"] = split,
                ["weights"] = weights?.Which ?? "model",
                ["weights_step"] = weights?.Step,
                [$"{split}_loss"] = result.Loss,
                [$"{split}_{result.MetricName}"] = result.Metric,
                [$"{split}_examples"] = result.Examples,
                ["weights_sha256"] = checksum,
            };
            console.Out.WriteLine(line.ToJsonString());
            return;
        }
        var table = new Table().AddColumns("task", "split", "weights", result.MetricName, "loss", "examples");
        table.AddRow(Markup.Escape(task), Markup.Escape(split), Markup.Escape(weights?.Describe() ?? "model"), result.Metric.ToString("P2", CultureInfo.InvariantCulture),
            result.Loss.ToString("F4", CultureInfo.InvariantCulture), result.Examples.ToString(CultureInfo.InvariantCulture));
        console.Ansi.Write(table);
    }
}
