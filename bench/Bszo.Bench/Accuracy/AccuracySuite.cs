using System.Globalization;
using Bszo.Bench.Probes;
using Bszo.Bench.Reports;
using Bszo.Bench.Measure;
using Bszo.Bench.Setup;

namespace Bszo.Bench.Accuracy;

/// <summary>What the accuracy suite runs beyond its plan.</summary>
/// <param name="Plan">Seeds, methods, budgets (<see cref="AccuracyRecipes.Full"/> or <see cref="AccuracyRecipes.Tiny"/>).</param>
/// <param name="WorkDirectory">Where the run directories live; a finished run found there is reused, an interrupted one resumed.</param>
/// <param name="Name">Base name of the result files.</param>
/// <param name="Model">--model for `bszo finetune`; null: the default model.</param>
/// <param name="FinetuneArguments">More `bszo finetune` arguments (task, data), passed as they are.</param>
public sealed record AccuracyOptions(AccuracyPlan Plan, string WorkDirectory, string Name, string? Model, IReadOnlyList<string> FinetuneArguments);

/// <summary>
/// Zero-shot against MeZO, SubZero, BSZO and BSZO-B at equal forward-pass budgets, several seeds,
/// each run through `bszo finetune` in its own process; mean ± std of the test score and the dev
/// curves in one chart.
/// </summary>
public static class AccuracySuite
{
    public static IReadOnlyList<AccuracyRun> Run(BenchSettings settings, AccuracyOptions options)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        var machine = MachineInfo.Describe();
        var loadBefore = LoadAverage.Now();
        var runs = new List<AccuracyRun>();
        foreach (var seed in options.Plan.Seeds)
        {
            foreach (var recipe in options.Plan.Methods)
            {
                var directory = Path.Combine(options.WorkDirectory, $"{recipe.Method}-seed{seed.ToString(CultureInfo.InvariantCulture)}");
                if (!File.Exists(Path.Combine(directory, "results.json")))
                {
                    bool resume = File.Exists(Path.Combine(directory, "trajectory.jsonl"));
                    settings.Log($"accuracy: {recipe.Method}, seed {seed}: {(resume ? "resuming" : "training")} ({recipe.Steps} steps) in {directory}");
                    var (exit, error) = ChildProcesses.Run("dotnet", Arguments(settings, options, recipe, seed, directory, resume),
                        new Dictionary<string, string?> { ["CI"] = "true" });
                    if (exit != 0) Throw.Bszo($"`bszo finetune` failed for {recipe.Method}, seed {seed} (exit {exit}).", found: error, hint: $"its run directory is {directory}.");
                }
                else
                {
                    settings.Log($"accuracy: {recipe.Method}, seed {seed}: finished earlier, reusing {directory}");
                }
                var run = AccuracyRun.Read(recipe.Method, seed, directory);
                settings.Log(Format.Invariant($"accuracy: {recipe.Method}, seed {seed}: test {run.Metric} {run.ZeroShotTest:F4} zero-shot -> {run.FineTunedTest:F4} after {run.ForwardPasses} forward passes"));
                runs.Add(run);
            }
        }
        var report = new AccuracyReport(machine, loadBefore, LoadAverage.Now(), settings, options, runs);
        ReportFiles.Write(settings.Out, options.Name, report.Markdown(), report.Json(), report.Chart(), settings.Log);
        return runs;
    }

    private static List<string> Arguments(BenchSettings settings, AccuracyOptions options, AccuracyRecipe recipe, ulong seed, string directory, bool resume)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "bszo.dll");
        if (resume) return [cli, "finetune", "--out", directory, "--resume", "--quiet", "--no-plots"];
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var plan = options.Plan;
        var args = new List<string>
        {
            cli, "finetune", "--out", directory, "--optimizer", recipe.Method, "--steps", I(recipe.Steps),
            "--eval-every", I(Math.Max(1, recipe.Steps / plan.Evaluations)), "--seed", I((long)seed), "--data-seed", I((long)seed),
            "--batch-size", I(plan.BatchSize), "--threads", I(settings.Threads), "--quiet", "--no-plots",
        };
        if (options.Model is not null) args.AddRange(["--model", options.Model]);
        if (recipe.LearningRate is double lr) args.AddRange(["--learning-rate", D(lr)]);
        if (recipe.Epsilon is double eps) args.AddRange(["--epsilon", D(eps)]);
        foreach (var pattern in recipe.Trainable) args.AddRange(["--trainable", pattern]);
        foreach (var (key, value) in recipe.Options ?? new Dictionary<string, string>()) args.AddRange(["--optimizer-option", $"{key}={value}"]);
        if (plan.NumTrain is int train) args.AddRange(["--num-train", I(train)]);
        if (plan.NumDev is int dev) args.AddRange(["--num-dev", I(dev)]);
        if (plan.NumTest is int test) args.AddRange(["--num-test", I(test)]);
        args.AddRange(options.FinetuneArguments);
        return args;
    }
}
