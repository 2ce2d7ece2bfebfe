using System.Globalization;
using Bszo.Bench.Measure;
using Bszo.Bench.Probes;
using Bszo.Bench.Reports;
using Bszo.Bench.Setup;

namespace Bszo.Bench.Cluster;

/// <summary>What one workload of the cluster suite trains: `bszo finetune` arguments beyond the common ones, and its steps.</summary>
/// <param name="Name">The workload's name on the command line.</param>
/// <param name="Description">What it is, for the report.</param>
/// <param name="Arguments">Its own `bszo finetune` arguments.</param>
/// <param name="Steps">Steps per run (the first is left out of the step time).</param>
public sealed record ClusterWorkload(string Name, string Description, IReadOnlyList<string> Arguments, long Steps)
{
    /// <summary>The workloads of the committed results.</summary>
    public static IReadOnlyList<string> Defaults { get; } = ["use-lite-head", "use-lite", "opt-125m"];

    /// <summary>The workload <paramref name="name"/> (exporting the random OPT decoder once if it is asked for).</summary>
    public static ClusterWorkload Resolve(string name, string python, Action<string> log) => name switch
    {
        "use-lite-head" => new(name, "the default model's classification head over cached encoder rows (its card's recipe): a step's compute is a fraction of a millisecond, so its time is the cluster's coordination",
            [], 300),
        "use-lite" => new(name, "every weight of the default model (6.98 M): each forward pass runs the whole encoder", ["--trainable", "*", "--learning-rate", "1e-4"], 6),
        "opt-125m" => new(name, "random weights in the OPT-125m shape (125 M), scored as a decoder on the same task",
            ["--model", BenchModel.Resolve("opt-125m", python, log).Card.Directory, "--learning-rate", "1e-6"], 3),
        _ => Throw.Bszo<ClusterWorkload>($"Unknown cluster workload '{name}'.", string.Join(", ", Defaults), name),
    };
}

/// <summary>
/// Step time and traffic of `bszo finetune --workers N` against one process, every configuration a
/// run of its own (MeZO, batch 16, the default task), read back from the run directories.
/// </summary>
public static class ClusterSuite
{
    /// <summary>The worker counts of the committed results (0: one process, no cluster).</summary>
    public static IReadOnlyList<int> DefaultWorkers { get; } = [0, 1, 2, 4];

    public static IReadOnlyList<ClusterRun> Run(BenchSettings settings, IReadOnlyList<string> workloads, IReadOnlyList<int> workers, long? steps, string workDirectory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var machine = MachineInfo.Describe();
        var loadBefore = LoadAverage.Now();
        var resolved = workloads.Select(w => ClusterWorkload.Resolve(w, settings.Python, settings.Log)).ToList();
        var runs = new List<ClusterRun>();
        foreach (var workload in resolved)
        {
            foreach (int n in workers)
            {
                var directory = Path.Combine(workDirectory, $"{workload.Name}-w{n.ToString(CultureInfo.InvariantCulture)}");
                if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
                settings.Log($"cluster: {workload.Name}, {(n == 0 ? "one process" : $"{n} workers")}: {steps ?? workload.Steps} steps in {directory}");
                var (exit, error) = ChildProcesses.Run("dotnet", Arguments(settings, workload, n, steps ?? workload.Steps, directory), new Dictionary<string, string> { ["CI"] = "true" });
                if (exit != 0) Throw.Bszo($"`bszo finetune` failed for {workload.Name} with {n} workers (exit {exit}).", found: error, hint: $"its run directory is {directory}.");
                var run = ClusterRun.Read(workload.Name, n, directory);
                settings.Log(Format.Invariant($"cluster: {workload.Name}, {n} workers: {run.StepSeconds:F4} s/step, {run.PayloadBytesPerStep:F0} B/step"));
                runs.Add(run);
            }
        }
        var report = new ClusterReport(machine, loadBefore, LoadAverage.Now(), settings, resolved, runs);
        ReportFiles.Write(settings.Out, "cluster", report.Markdown(), report.Json(), chart: null, settings.Log);
        return runs;
    }

    private static List<string> Arguments(BenchSettings settings, ClusterWorkload workload, int workers, long steps, string directory)
    {
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        return
        [
            Path.Combine(AppContext.BaseDirectory, "bszo.dll"), "finetune", "--out", directory, "--optimizer", "mezo", "--steps", I(steps), "--batch-size", "16",
            "--num-train", "64", "--num-dev", "16", "--num-test", "16", "--eval-every", I(steps), "--threads", I(settings.Threads), "--workers", I(workers),
            "--quiet", "--no-plots", .. workload.Arguments,
        ];
    }
}
