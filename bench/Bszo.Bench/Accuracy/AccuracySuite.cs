using System.Diagnostics;
using System.Globalization;
using Bszo.Bench.Measure;
using Bszo.Bench.Probes;
using Bszo.Bench.Reports;
using Bszo.Bench.Setup;
using Bszo.Cli;
using Bszo.Ort.Graph;

namespace Bszo.Bench.Accuracy;

/// <summary>What the accuracy suite runs beyond its plan.</summary>
/// <param name="Plan">Arms, methods, seeds, budgets (<see cref="AccuracyPlans"/>).</param>
/// <param name="WorkDirectory">Where the run directories live; a finished run found there is reused, an interrupted one resumed.</param>
/// <param name="Name">Base name of the result files.</param>
/// <param name="Model">--model for arms that name none; null: the default model.</param>
/// <param name="FinetuneArguments">More `bszo finetune` arguments (task, data), passed to every run as they are.</param>
public sealed record AccuracyOptions(AccuracyPlan Plan, string WorkDirectory, string Name, string? Model, IReadOnlyList<string> FinetuneArguments);

/// <summary>Everything a comparison measured: the runs, the probe fits, the rate chosen per arm and method, and what the time limit skipped.</summary>
public sealed record AccuracyResults(
    IReadOnlyList<AccuracyRun> Runs,
    IReadOnlyList<(string Arm, LinearProbeResult Probe)> Probes,
    IReadOnlyDictionary<(string Arm, string Method), double> Chosen,
    IReadOnlyList<string> Skipped,
    TimeSpan Elapsed);

/// <summary>
/// Runs a comparison arm by arm, in the plan's order: per method, each rate of its grid on the first
/// seed; the rate with the best dev score (test scores are never looked at) on every seed; two more
/// seeds where two methods' test means lie within two standard deviations. Each run is `bszo finetune`
/// in its own process; the linear probe is fitted here on a head-only run's features.
/// </summary>
public static class AccuracySuite
{
    /// <summary>The environment of every `bszo` child: CI=true, so that it prints no live progress display.</summary>
    private static readonly Dictionary<string, string?> CliEnvironment = new() { ["CI"] = "true" };

    /// <summary>The `bszo` command-line tool, built beside the bench.</summary>
    private static string CliPath => Path.Combine(AppContext.BaseDirectory, "bszo.dll");

    public static AccuracyResults Run(BenchSettings settings, AccuracyOptions options)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        var machine = MachineInfo.Describe();
        var loadBefore = LoadAverage.Now();
        var clock = Stopwatch.StartNew();
        var plan = options.Plan;
        var runs = new List<AccuracyRun>();
        var probes = new List<(string, LinearProbeResult)>();
        var chosen = new Dictionary<(string, string), double>();
        var skipped = new List<string>();
        bool OutOfTime(string what)
        {
            if (plan.TimeLimit is not TimeSpan limit || clock.Elapsed < limit) return false;
            skipped.Add(what);
            settings.Log($"accuracy: time limit {limit} reached; skipping {what}");
            return true;
        }

        foreach (var arm in plan.Arms)
        {
            if (arm.ProbeOf is string source)
            {
                foreach (var seed in plan.Seeds)
                {
                    var sourceRun = ChosenRun(runs, chosen, source, seed);
                    if (sourceRun is null || OutOfTime($"{arm.Name}, seed {seed}")) continue;
                    var probe = LinearProbe.Fit(sourceRun.Directory, seed, settings.Threads, settings.Log);
                    settings.Log(Format.Invariant($"accuracy: {arm.Name}, seed {seed}: λ {probe.L2:G2}, dev {probe.DevAccuracy:F4}, test {probe.TestAccuracy:F4} ({probe.Seconds:F0} s)"));
                    probes.Add((arm.Name, probe));
                }
                continue;
            }
            var model = ModelFor(arm, options, settings);
            AccuracyRun? Train(AccuracyMethod method, double rate, ulong seed)
            {
                string methodDirectory = method.Name.Replace(' ', '-').Replace('=', '-');
                var directory = Path.Combine(options.WorkDirectory, arm.Name, methodDirectory, $"lr{AccuracyReport.Rate(rate)}-seed{seed}");
                string what = $"{arm.Name}, {method.Name}, lr {AccuracyReport.Rate(rate)}, seed {seed}";
                if (!AccuracyRun.IsFinished(directory) && OutOfTime(what)) return null;
                var start = model;
                if (arm.ContinueFrom is string from)
                {
                    var source = ChosenRun(runs, chosen, from, seed, method.Name);
                    if (source is null)
                    {
                        skipped.Add($"{what}: the {from} arm has no stable {method.Name} run of seed {seed} to start from");
                        settings.Log($"accuracy: skipping {what}: no {from} run to start from");
                        return null;
                    }
                    start = ExportStart(settings, source, Path.Combine(options.WorkDirectory, arm.Name, "start", $"{methodDirectory}-seed{seed}"));
                }
                var run = RunOne(settings, options, arm, start, method, rate, seed, directory);
                runs.Add(run);
                return run;
            }

            // 1. Each method's rate, chosen on the first seed's dev score.
            foreach (var method in arm.Methods)
            {
                var grid = method.LearningRates.Select(rate => Train(method, rate, plan.Seeds[0])).OfType<AccuracyRun>().ToList();
                var stable = grid.Where(r => !r.Diverged).ToList();
                if (stable.Count > 0) chosen[(arm.Name, method.Name)] = stable.MaxBy(r => r.BestDev)!.LearningRate;
            }
            // 2. The chosen rates on every seed.
            foreach (var seed in plan.Seeds.Skip(1))
            {
                foreach (var method in arm.Methods)
                {
                    if (chosen.TryGetValue((arm.Name, method.Name), out var rate)) Train(method, rate, seed);
                }
            }
            // 3. More seeds where two methods cannot be told apart at three.
            var close = CloseMethods(arm, runs, chosen, plan.Seeds);
            foreach (var seed in plan.ExtraSeeds)
            {
                foreach (var method in arm.Methods.Where(m => close.Contains(m.Name)))
                {
                    Train(method, chosen[(arm.Name, method.Name)], seed);
                }
            }
        }

        var results = new AccuracyResults(runs, probes, chosen, skipped, clock.Elapsed);
        var report = new AccuracyReport(machine, loadBefore, LoadAverage.Now(), settings, options, results);
        ReportFiles.Write(settings.Out, options.Name, report.Markdown(), report.Json(), report.Chart(), settings.Log, height: 700);
        return results;
    }

    /// <summary>
    /// The stable run of <paramref name="arm"/> on <paramref name="seed"/> at its method's chosen rate
    /// (of <paramref name="method"/> when given; else of any method), or null if none ran.
    /// </summary>
    private static AccuracyRun? ChosenRun(List<AccuracyRun> runs, Dictionary<(string, string), double> chosen, string arm, ulong seed, string? method = null) =>
        runs.FirstOrDefault(r => r.Arm == arm && r.Seed == seed && (method is null || r.Method == method) && !r.Diverged
                                 && chosen.TryGetValue((arm, r.Method), out var rate) && rate == r.LearningRate);

    /// <summary>Methods of <paramref name="arm"/> whose mean test score is within two standard deviations of another method's.</summary>
    internal static HashSet<string> CloseMethods(AccuracyArm arm, IReadOnlyList<AccuracyRun> runs, IReadOnlyDictionary<(string, string), double> chosen, IReadOnlyList<ulong> seeds)
    {
        var scores = arm.Methods
            .Where(m => chosen.ContainsKey((arm.Name, m.Name)))
            .Select(m => (m.Name, Values: runs.Where(r => r.Arm == arm.Name && r.Method == m.Name && r.LearningRate == chosen[(arm.Name, m.Name)]
                                                           && seeds.Contains(r.Seed) && !r.Diverged).Select(r => r.FineTunedTest).ToList()))
            .Where(s => s.Values.Count >= 2)
            .ToList();
        var close = new HashSet<string>();
        for (int i = 0; i < scores.Count; i++)
        {
            for (int j = i + 1; j < scores.Count; j++)
            {
                double spread = 2 * Math.Max(Stats.StandardDeviation(scores[i].Values), Stats.StandardDeviation(scores[j].Values));
                if (Math.Abs(Stats.Mean(scores[i].Values) - Stats.Mean(scores[j].Values)) <= spread)
                {
                    close.Add(scores[i].Name);
                    close.Add(scores[j].Name);
                }
            }
        }
        return close;
    }

    /// <summary>--model for an arm's runs: the arm's, a 16-bit copy written into the work directory, the suite's, or none (the default model).</summary>
    private static string? ModelFor(AccuracyArm arm, AccuracyOptions options, BenchSettings settings)
    {
        var model = arm.Model ?? options.Model;
        if (arm.Storage is not SixteenBitStorage storage) return model;
        var source = model ?? Bszo.Models.UseLite.UseLiteModel.Create(new Bszo.Models.UseLite.UseLiteOptions { Log = settings.Log });
        var copy = Path.Combine(options.WorkDirectory, arm.Name, "model");
        settings.Log($"accuracy: {arm.Name}: writing a copy of {source} with {(storage.Tensors.Count == 0 ? "the card's trainable tensors" : string.Join(", ", storage.Tensors))} in {OnnxDataType.Name(storage.DataType)} to {copy}");
        return SixteenBitModel.Write(source, copy, storage.DataType, storage.Tensors);
    }

    /// <summary>
    /// The best dev weights of <paramref name="source"/>, exported once into <paramref name="directory"/>
    /// (`bszo export`, which writes the directory whole or not at all) for a later arm to start from.
    /// </summary>
    private static string ExportStart(BenchSettings settings, AccuracyRun source, string directory)
    {
        if (Directory.Exists(directory)) return directory;
        settings.Log($"accuracy: exporting the best dev weights of {source.Directory} to {directory}");
        Directory.CreateDirectory(Path.GetDirectoryName(directory)!);
        var (exit, error) = ChildProcesses.Run("dotnet", [CliPath, "export", "--run", source.Directory, "--out", directory], CliEnvironment);
        if (exit != 0) Throw.Bszo($"`bszo export` failed for {source.Directory} (exit {exit}).", found: error, hint: "a later arm starts from this run's weights; export it by hand to see why.");
        return directory;
    }

    private static AccuracyRun RunOne(BenchSettings settings, AccuracyOptions options, AccuracyArm arm, string? model, AccuracyMethod method, double rate, ulong seed, string directory)
    {
        var wallFile = Path.Combine(directory, "bench-wall-seconds.txt");
        if (AccuracyRun.IsFinished(directory))
        {
            settings.Log($"accuracy: {arm.Name}, {method.Name}, lr {AccuracyReport.Rate(rate)}, seed {seed}: finished earlier, reusing {directory}");
        }
        else
        {
            bool resume = File.Exists(Path.Combine(directory, "trajectory.jsonl"));
            long steps = method.Steps(arm.Budget);
            settings.Log($"accuracy: {arm.Name}, {method.Name}, lr {AccuracyReport.Rate(rate)}, seed {seed}: {(resume ? "resuming" : "training")} ({steps} steps) in {directory}");
            var clock = Stopwatch.StartNew();
            var (exit, error) = ChildProcesses.Run("dotnet", Arguments(settings, options, arm, model, method, rate, seed, directory, resume), CliEnvironment);
            if (exit == ExitCodes.Diverged) AccuracyRun.MarkDiverged(directory, error);
            else if (exit != 0) Throw.Bszo($"`bszo finetune` failed for {arm.Name}, {method.Name}, seed {seed} (exit {exit}).", found: error, hint: $"its run directory is {directory}.");
            double previous = File.Exists(wallFile) ? double.Parse(File.ReadAllText(wallFile), CultureInfo.InvariantCulture) : 0;
            AtomicFile.WriteAllText(wallFile, (previous + clock.Elapsed.TotalSeconds).ToString("R", CultureInfo.InvariantCulture));
        }
        double wall = File.Exists(wallFile) ? double.Parse(File.ReadAllText(wallFile), CultureInfo.InvariantCulture) : double.NaN;
        var run = AccuracyRun.Read(arm.Name, method.Name, rate, seed, directory, wall);
        settings.Log(run.Diverged
            ? $"accuracy: {arm.Name}, {method.Name}, lr {AccuracyReport.Rate(rate)}, seed {seed}: diverged ({run.DivergedBecause})"
            : Format.Invariant($"accuracy: {arm.Name}, {method.Name}, lr {AccuracyReport.Rate(rate)}, seed {seed}: dev {run.BestDev:F4}, test {run.Metric} {run.ZeroShotTest:F4} zero-shot -> {run.FineTunedTest:F4} ({run.WallSeconds:F0} s)"));
        return run;
    }

    private static List<string> Arguments(BenchSettings settings, AccuracyOptions options, AccuracyArm arm, string? model, AccuracyMethod method, double rate, ulong seed,
        string directory, bool resume)
    {
        if (resume) return [CliPath, "finetune", "--out", directory, "--resume", "--quiet", "--no-plots"];
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var plan = options.Plan;
        long steps = method.Steps(arm.Budget);
        var args = new List<string>
        {
            CliPath, "finetune", "--out", directory, "--optimizer", method.Method, "--steps", I(steps), "--learning-rate", D(rate), "--epsilon", D(plan.Epsilon),
            "--eval-every", I(Math.Max(1, steps / plan.Evaluations)), "--seed", I((long)seed), "--data-seed", I((long)seed),
            "--batch-size", I(plan.BatchSize), "--threads", I(settings.Threads), "--quiet", "--no-plots",
        };
        if (model is not null) args.AddRange(["--model", model]);
        args.AddRange(arm.Arguments);
        foreach (var (key, value) in method.Options ?? new Dictionary<string, string>()) args.AddRange(["--optimizer-option", $"{key}={value}"]);
        if ((arm.NumTrain ?? plan.NumTrain) is int train) args.AddRange(["--num-train", I(train)]);
        if ((arm.NumDev ?? plan.NumDev) is int dev) args.AddRange(["--num-dev", I(dev)]);
        if ((arm.NumTest ?? plan.NumTest) is int test) args.AddRange(["--num-test", I(test)]);
        args.AddRange(options.FinetuneArguments);
        return args;
    }
}
