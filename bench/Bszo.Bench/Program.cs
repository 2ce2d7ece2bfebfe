using System.CommandLine;
using Bszo.Bench.Accuracy;
using Bszo.Bench.Cluster;
using Bszo.Bench.Probes;
using Bszo.Bench.Reports;
using Bszo.Bench.Setup;
using Bszo.Bench.Suites;
using Bszo.Ort;

namespace Bszo.Bench;

/// <summary>
/// Entry point of Bszo's benchmark harness:
/// <c>dotnet run -c Release --project bench/Bszo.Bench -- all</c> measures memory, speed and kernels
/// and writes bench/results; <c>smoke</c> checks the harness in seconds.
/// </summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Parses and runs one command line; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = BenchCommands.Build(args, output, error);
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }
}

/// <summary>The harness's commands and their options.</summary>
internal static class BenchCommands
{
    private static readonly Option<string[]> Workloads = new("--workload", "-w")
    {
        Description = $"model:sequence, repeatable (default: {string.Join(" ", BenchSettings.DefaultWorkloads)}). Models: use-lite, opt-tiny, opt-125m, opt-350m, opt-1.3b.",
        HelpName = "model:seq",
    };

    private static readonly Option<int> Batch = new("--batch") { Description = "Sequences per batch.", DefaultValueFactory = _ => 16 };
    private static readonly Option<int> Threads = new("--threads") { Description = "Threads for ONNX Runtime, sweeps and PyTorch (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
    private static readonly Option<int> Steps = new("--steps") { Description = "Measured steps per memory configuration.", DefaultValueFactory = _ => 2 };
    private static readonly Option<int> Rounds = new("--rounds") { Description = "Measured rounds of the speed suite (one step of every optimizer each).", DefaultValueFactory = _ => 5 };
    private static readonly Option<int> Warmup = new("--warmup") { Description = "Unmeasured steps or rounds first.", DefaultValueFactory = _ => 1 };
    private static readonly Option<string?> Out = new("--out", "-o") { Description = "Where result files go (default: bench/results; smoke: a temporary directory).", HelpName = "dir" };
    private static readonly Option<bool> NoTorch = new("--no-torch") { Description = "Skip the PyTorch references." };
    private static readonly Option<string> Device = new("--device")
    {
        Description = "memory: where inference and Bszo run: cpu, or cuda[:N] in a GPU build (weights on the GPU, swept by the updater graph; device memory sampled with nvidia-smi).",
        DefaultValueFactory = _ => "cpu",
        HelpName = "device",
    };
    private static readonly Option<string> Python = new("--python") { Description = "Python with torch and onnx (Debian's).", DefaultValueFactory = _ => "/usr/bin/python3", HelpName = "path" };
    private static readonly Option<bool> Tiny = new("--tiny") { Description = "accuracy, accuracy-real: the tiny plan (2 seeds, 48 forward passes per run, small splits, the first rate of each grid): minutes, to check the path." };
    private static readonly Option<string?> Work = new("--work") { Description = "accuracy, accuracy-real, cluster: where the runs live (default: artifacts/bench-NAME); accuracy reuses finished runs and resumes interrupted ones.", HelpName = "dir" };
    private static readonly Option<string?> Model = new("--model") { Description = "accuracy, accuracy-real: the model for arms that name none (default: Bszo's default model).", HelpName = "dir" };
    private static readonly Option<long?> Budget = new("--budget") { Description = "accuracy, accuracy-real: forward passes per run for every arm (default: each arm's, in AccuracyPlans.cs).", HelpName = "passes" };
    private static readonly Option<double?> Hours = new("--hours") { Description = "accuracy, accuracy-real: start no run after this many hours (accuracy-real default: 2); later arms are reported as not run.", HelpName = "h" };
    private static readonly Option<string?> Name = new("--name") { Description = "accuracy, accuracy-real: base name of the result files (default: the command's name, with -tiny for --tiny).", HelpName = "name" };
    private static readonly Option<string[]> ClusterWorkloads = new("--workload", "-w")
    {
        Description = $"cluster: workloads, repeatable (default: {string.Join(" ", ClusterWorkload.Defaults)}).",
        HelpName = "name",
    };

    private static readonly Option<int[]> WorkerCounts = new("--workers")
    {
        Description = $"cluster: worker counts, repeatable; 0 is one process (default: {string.Join(" ", ClusterSuite.DefaultWorkers)}).",
        HelpName = "n",
    };

    private static readonly Option<long?> ClusterSteps = new("--steps") { Description = "cluster: steps of every run (default: each workload's own).", HelpName = "n" };

    private static readonly Argument<string[]> FinetuneArguments = new("finetune-arguments")
    {
        Description = "accuracy: more `bszo finetune` arguments after --, e.g. -- --task custom --data reviews.csv --template ... --verbalizer ...",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static RootCommand Build(string[] args, TextWriter output, TextWriter error)
    {
        var commandLine = "dotnet run -c Release --project bench/Bszo.Bench -- " + string.Join(' ', args);
        var root = new RootCommand("Bszo's benchmarks: memory and speed against ONNX Runtime inference and PyTorch, kernel micro-benchmarks, accuracy at equal budgets.");

        root.Subcommands.Add(Suite("memory", "Peak RSS of inference, Bszo (MeZO, SubZero, BSZO, BSZO-B), PyTorch MeZO and PyTorch Adam, one process each.",
            output, error, commandLine, s => MemorySuite.Run(s), Device));
        root.Subcommands.Add(Suite("speed", "Step time, forward passes/s and sweep cost of every optimizer next to plain inference and PyTorch MeZO.",
            output, error, commandLine, s => SpeedSuite.Run(s)));
        root.Subcommands.Add(Suite("kernels", "BenchmarkDotNet micro-benchmarks: squares RNG, Gaussian sweep (1 and 3 streams, fast and reference), memory copy.",
            output, error, commandLine, s => KernelSuite.Run(s)));
        root.Subcommands.Add(Suite("all", "memory, speed and kernels for every workload, then summary.md: the committed results.",
            output, error, commandLine, All));
        root.Subcommands.Add(Smoke(output, error, commandLine));
        root.Subcommands.Add(AccuracyCommand(output, error, commandLine, "accuracy",
            "The default recipe: zero-shot, MeZO, SubZero, BSZO and BSZO-B at equal forward-pass budgets and one ε, each method's rate chosen on dev from one grid, 3 seeds, through `bszo finetune`.",
            AccuracyPlans.Default));
        root.Subcommands.Add(AccuracyCommand(output, error, commandLine, "accuracy-real",
            "A real model beyond its head: head-only training against the first-order linear probe and the encoder's weights, every method on the head, a 16-bit head; at most --hours (default 2).",
            AccuracyPlans.Real));
        root.Subcommands.Add(ClusterCommand(output, error, commandLine));

        var summary = new Command("summary", "Rebuild summary.md from the result files in --out.");
        summary.Options.Add(Out);
        summary.SetAction(p => Guard(error, () => SummaryReport.Write(p.GetValue(Out) ?? Repository.Results, commandLine, Log(output))));
        root.Subcommands.Add(summary);

        var probe = new Command("probe", "Internal: measure one request in this process (the suites start it).") { Hidden = true };
        var request = new Argument<string>("request");
        var result = new Argument<string>("result");
        probe.Arguments.Add(request);
        probe.Arguments.Add(result);
        probe.SetAction(p => Guard(error, () => ProbeCommand.Run(p.GetValue(request)!, p.GetValue(result)!)));
        root.Subcommands.Add(probe);
        return root;
    }

    private static void All(BenchSettings settings)
    {
        MemorySuite.Run(settings);
        SpeedSuite.Run(settings);
        KernelSuite.Run(settings);
        SummaryReport.Write(settings.Out, settings.CommandLine, settings.Log);
    }

    private static Command Suite(string name, string description, TextWriter output, TextWriter error, string commandLine, Action<BenchSettings> run,
        params Option[] own)
    {
        var command = new Command(name, description);
        foreach (var o in (Option[])[Workloads, Batch, Threads, Steps, Rounds, Warmup, Out, NoTorch, Python, .. own]) command.Options.Add(o);
        command.SetAction(p => Guard(error, () =>
        {
            var settings = Settings(p, output, commandLine);
            try
            {
                run(settings);
            }
            finally
            {
                DeleteScratch(settings);
            }
            return 0;
        }));
        return command;
    }

    private static Command Smoke(TextWriter output, TextWriter error, string commandLine)
    {
        var command = new Command("smoke", "Everything but accuracy on a tiny random decoder, 2 steps, BenchmarkDotNet's dry job: checks that the harness works (timings mean nothing).");
        command.Options.Add(Out);
        command.Options.Add(NoTorch);
        command.Options.Add(Python);
        command.SetAction(p => Guard(error, () =>
        {
            var outDir = p.GetValue(Out) ?? Path.Combine(Path.GetTempPath(), $"bszo-bench-smoke-{Environment.ProcessId}");
            var settings = new BenchSettings
            {
                Workloads = ["opt-tiny:16", "opt-tiny:16:prompt"],
                Batch = 2,
                Threads = Math.Min(2, Environment.ProcessorCount),
                MemorySteps = 2,
                SpeedRounds = 2,
                Warmup = 1,
                SampleMilliseconds = 2,
                CopyBytes = 16L << 20,
                Torch = !p.GetValue(NoTorch),
                Python = p.GetValue(Python)!,
                Out = outDir,
                Smoke = true,
                CommandLine = commandLine,
                Log = Log(output),
            };
            try
            {
                All(settings);
            }
            finally
            {
                DeleteScratch(settings);
            }
            output.WriteLine($"smoke: results in {outDir}");
            return 0;
        }));
        return command;
    }

    private static Command AccuracyCommand(TextWriter output, TextWriter error, string commandLine, string name, string description, AccuracyPlan full)
    {
        var command = new Command(name, description);
        foreach (var o in new Option[] { Tiny, Budget, Hours, Name, Work, Model, Threads, Out }) command.Options.Add(o);
        command.Arguments.Add(FinetuneArguments);
        command.SetAction(p => Guard(error, () =>
        {
            bool tiny = p.GetValue(Tiny);
            var resultName = p.GetValue(Name) ?? (tiny ? $"{name}-tiny" : name);
            var plan = tiny ? AccuracyPlans.Tiny(full) : full;
            if (p.GetValue(Budget) is long budget) plan = plan with { Arms = [.. plan.Arms.Select(a => a with { Budget = a.ProbeOf is null ? budget : 0 })] };
            if (p.GetValue(Hours) is double hours) plan = plan with { TimeLimit = TimeSpan.FromHours(hours) };
            var settings = new BenchSettings
            {
                Threads = p.GetValue(Threads),
                Out = p.GetValue(Out) ?? Repository.Results,
                CommandLine = commandLine,
                Log = Log(output),
            };
            var options = new AccuracyOptions(plan,
                Path.GetFullPath(p.GetValue(Work) ?? Path.Combine(Repository.Root, "artifacts", $"bench-{resultName}")), resultName,
                p.GetValue(Model) is string m ? Path.GetFullPath(m) : null, p.GetValue(FinetuneArguments) ?? []);
            AccuracySuite.Run(settings, options);
            return 0;
        }));
        return command;
    }

    private static Command ClusterCommand(TextWriter output, TextWriter error, string commandLine)
    {
        var command = new Command("cluster", "Step time and traffic of `bszo finetune --workers N` against one process, and their projection to many machines; writes cluster.md.");
        foreach (var o in new Option[] { ClusterWorkloads, WorkerCounts, ClusterSteps, Threads, Work, Out, Python }) command.Options.Add(o);
        command.SetAction(p => Guard(error, () =>
        {
            var settings = new BenchSettings
            {
                Threads = p.GetValue(Threads),
                Python = p.GetValue(Python)!,
                Out = p.GetValue(Out) ?? Repository.Results,
                CommandLine = commandLine,
                Log = Log(output),
            };
            var workloads = p.GetValue(ClusterWorkloads) is { Length: > 0 } w ? w : ClusterWorkload.Defaults;
            var workers = p.GetValue(WorkerCounts) is { Length: > 0 } n ? n : ClusterSuite.DefaultWorkers;
            var work = Path.GetFullPath(p.GetValue(Work) ?? Path.Combine(Repository.Root, "artifacts", "bench-cluster"));
            ClusterSuite.Run(settings, [.. workloads], [.. workers], p.GetValue(ClusterSteps), work);
            return 0;
        }));
        return command;
    }

    private static BenchSettings Settings(ParseResult p, TextWriter output, string commandLine)
    {
        var workloads = p.GetValue(Workloads);
        return new BenchSettings
        {
            Workloads = workloads is { Length: > 0 } ? workloads : BenchSettings.DefaultWorkloads,
            Batch = p.GetValue(Batch),
            Threads = p.GetValue(Threads),
            MemorySteps = p.GetValue(Steps),
            SpeedRounds = p.GetValue(Rounds),
            Warmup = p.GetValue(Warmup),
            Torch = !p.GetValue(NoTorch),
            Python = p.GetValue(Python)!,
            Device = p.GetResult(Device) is null ? "cpu" : Bszo.Ort.Runtime.ExecutionDevice.Normalize(p.GetValue(Device)!),
            Out = p.GetValue(Out) ?? Repository.Results,
            CommandLine = commandLine,
            Log = Log(output),
        };
    }

    private static Action<string> Log(TextWriter output) => line =>
    {
        output.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
        output.Flush();
    };

    private static void DeleteScratch(BenchSettings settings)
    {
        try
        {
            if (Directory.Exists(settings.Scratch)) Directory.Delete(settings.Scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int Guard(TextWriter error, Action action) => Guard(error, () =>
    {
        action();
        return 0;
    });

    private static int Guard(TextWriter error, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (BszoException e)
        {
            error.WriteLine($"bench: {e.Message}");
            return 1;
        }
    }
}
