using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Bszo.Bench.Kernels;
using Bszo.Bench.Measure;
using Bszo.Bench.Reports;
using Bszo.Bench.Setup;
using Bszo.Ort.Perturbation;

namespace Bszo.Bench.Suites;

/// <summary>
/// BenchmarkDotNet micro-benchmarks of the RNG, the sweep kernels (Gaussian and Rademacher, 1 and 3
/// streams, on every vector path the CPU has, and the scalar reference) and the memory copy, run in this process with a short job (1 launch, 2 warm-up
/// and 5 measured iterations), written as kernels.md/json/png.
/// </summary>
public static class KernelSuite
{
    public static void Run(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        SpeedSuite.RequireRelease(settings);
        KernelSizes.Elements = settings.Smoke ? 1 << 14 : 1 << 20;
        KernelSizes.CopyBytes = settings.Smoke ? 16L << 20 : 256L << 20;
        KernelSizes.Threads = settings.Threads;
        var machine = MachineInfo.Describe();
        var loadBefore = LoadAverage.Now();
        var artifacts = Path.Combine(settings.Scratch, "benchmarkdotnet");
        var job = (settings.Smoke ? Job.Dry : Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5))
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId(settings.Smoke ? "dry" : "short");
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(settings.Smoke ? NullLogger.Instance : ConsoleLogger.Default)
            .WithArtifactsPath(artifacts);
        if (settings.Smoke) config = config.WithOptions(ConfigOptions.DisableOptimizationsValidator);
        settings.Log($"kernels: BenchmarkDotNet, job '{job.Id}', {KernelSizes.Elements} elements per call, copy of {KernelSizes.CopyBytes >> 20} MiB");
        var summaries = BenchmarkRunner.Run([typeof(NoiseBenchmarks), typeof(CopyBenchmarks)], config);
        try
        {
            Directory.Delete(artifacts, recursive: true);
        }
        catch (IOException)
        {
        }
        var rows = summaries.SelectMany(Rows).ToList();
        if (rows.Count == 0) Throw.Bszo("BenchmarkDotNet produced no results.", hint: "its log above says why (a validation error, a failed build).");
        var report = new KernelReport(machine, loadBefore, LoadAverage.Now(), settings, job.Id, rows);
        ReportFiles.Write(settings.Out, "kernels", report.Markdown(), report.Json(), report.Chart(), settings.Log);
    }

    private static IEnumerable<KernelReport.Row> Rows(Summary summary)
    {
        foreach (var report in summary.Reports)
        {
            var stats = report.ResultStatistics;
            if (stats is null) continue;
            string method = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
            bool copy = method.StartsWith("Copy", StringComparison.Ordinal);
            bool pathFree = copy || method.StartsWith("Reference", StringComparison.Ordinal) || method == nameof(NoiseBenchmarks.SquaresNext);
            // Benchmarks that do not use the path run once per path value: keep the first.
            var path = report.BenchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == nameof(NoiseBenchmarks.Path))?.Value;
            if (pathFree && path is not null && !Equals(path, NoiseBenchmarks.HardwarePaths().First())) continue;
            string name = pathFree || path is null ? method : $"{method} ({path})";
            yield return new KernelReport.Row(name, copy ? KernelSizes.CopyBytes : KernelSizes.Elements, copy ? "bytes" : "elements",
                stats.Mean, stats.Median, stats.StandardDeviation, stats.N, Streams(name));
        }
    }

    private static int Streams(string name) => name.Contains("3Streams", StringComparison.Ordinal) ? 3 : name.Contains("1Stream", StringComparison.Ordinal) ? 1 : 0;
}
