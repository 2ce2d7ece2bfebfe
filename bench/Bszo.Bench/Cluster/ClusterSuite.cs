using System.Globalization;
using Bszo.Bench.Measure;
using Bszo.Bench.Probes;
using Bszo.Bench.Reports;
using Bszo.Bench.Setup;

namespace Bszo.Bench.Cluster;

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
                var (exit, error) = ChildProcesses.Run("dotnet", Arguments(settings, workload, n, steps ?? workload.Steps, directory), new Dictionary<string, string?> { ["CI"] = "true" });
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
