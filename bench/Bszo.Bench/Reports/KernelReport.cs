using System.Text;
using System.Text.Json.Nodes;
using Bszo.Bench.Measure;
using Bszo.Bench.Setup;
using Bszo.Ort.Perturbation;
using ScottPlot;

namespace Bszo.Bench.Reports;

/// <summary>The kernel suite's result, as Markdown, JSON and a chart.</summary>
public sealed class KernelReport(MachineInfo machine, LoadAverage loadBefore, LoadAverage loadAfter, BenchSettings settings, string job, IReadOnlyList<KernelReport.Row> rows)
{
    /// <summary>One benchmark: its size per call and BenchmarkDotNet's statistics (nanoseconds per call).</summary>
    public sealed record Row(string Benchmark, long Size, string Unit, double MeanNs, double MedianNs, double StdDevNs, int Iterations, int Streams)
    {
        /// <summary>Elements (or bytes) per second, from the median.</summary>
        public double PerSecond => Size / (MedianNs * 1e-9);

        /// <summary>Noise values per second (elements × streams) for the sweep kernels.</summary>
        public double NoisePerSecond => Streams > 0 ? PerSecond * Streams : double.NaN;

        /// <summary>Memory traffic, read + write, GB/s: 8 bytes per swept element, twice the buffer for a copy.</summary>
        public double Gbps => Unit == "bytes" ? 2.0 * Size / (MedianNs * 1e-9) / 1e9 : Streams > 0 ? 8.0 * Size / (MedianNs * 1e-9) / 1e9 : double.NaN;
    }

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine("# Kernel micro-benchmarks");
        text.AppendLine();
        text.AppendLine(machine.Provenance(settings.CommandLine, Format.Invariant($"before: {loadBefore}, after: {loadAfter}")));
        text.AppendLine();
        text.AppendLine(Format.Invariant($"BenchmarkDotNet 0.15.8, in-process toolchain, job '{job}' ({(job == "dry" ? "BenchmarkDotNet's dry job: one cold iteration, for the smoke run only" : "1 launch, 2 warm-up and 5 measured iterations")}). Sweep kernels and the RNG run on one thread over {Format.Count(rows.FirstOrDefault(r => r.Unit == "elements")?.Size ?? 0)} fp32 weights per call; the copy moves {Format.Count((rows.FirstOrDefault(r => r.Unit == "bytes")?.Size ?? 0) >> 20)} MiB between two buffers. Kernel path in use: {KernelPaths.Fastest}; paths measured: {string.Join(", ", Kernels.NoiseBenchmarks.HardwarePaths())} (those this CPU runs in hardware)."));
        text.AppendLine();
        var table = new MarkdownTable("benchmark", "median per call", "± std dev", "ns per element", "M elements/s", "M noise values/s", "GB/s (read + write)");
        foreach (var r in rows)
        {
            table.Row(r.Benchmark, Time(r.MedianNs), Time(r.StdDevNs), r.Unit == "elements" ? Format.Fixed(r.MedianNs / r.Size, 2) : Format.None,
                r.Unit == "elements" ? Format.Fixed(r.PerSecond / 1e6, 0) : Format.None, Format.Fixed(r.NoisePerSecond / 1e6, 0), Format.Fixed(r.Gbps, 2));
        }
        text.Append(table);
        text.AppendLine();
        foreach (var line in Findings()) text.Append("- ").AppendLine(line);
        return text.ToString();
    }

    /// <summary>What the rows say, in sentences: path against reference, streams, Rademacher against Gaussian, the copy roofline.</summary>
    public IEnumerable<string> Findings()
    {
        var path = KernelPaths.Fastest;
        Row? Find(string name) => rows.FirstOrDefault(r => r.Benchmark == name) ?? rows.FirstOrDefault(r => r.Benchmark == $"{name} ({path})");
        var fast = Find("Accumulate1Stream");
        var three = Find("Accumulate3Streams");
        var rademacher = Find("Rademacher1Stream");
        var reference = Find("Reference1Stream");
        var copy = Find("CopyOneThread");
        var avx2 = rows.FirstOrDefault(r => r.Benchmark == $"Accumulate1Stream ({KernelPath.Avx2})");
        if (fast is not null && reference is not null)
        {
            yield return Format.Invariant($"The {path} kernel is {reference.MedianNs / fast.MedianNs:F1}× the scalar reference (one Gaussian stream); both compute the same bits.");
        }
        if (path == KernelPath.Avx512 && fast is not null && avx2 is not null)
        {
            yield return Format.Invariant($"AVX-512 against AVX2 on the same CPU: {avx2.MedianNs / fast.MedianNs:F2}× (one Gaussian stream).");
        }
        if (fast is not null && three is not null)
        {
            yield return Format.Invariant($"Three fused Gaussian streams cost {three.MedianNs / fast.MedianNs:F2}× one stream: the weights are read and written once, the noise is generated three times.");
        }
        if (fast is not null && rademacher is not null)
        {
            yield return Format.Invariant($"A Rademacher stream costs {rademacher.MedianNs / fast.MedianNs:F2}× a Gaussian one ({rademacher.NoisePerSecond / 1e6:F0} against {fast.NoisePerSecond / 1e6:F0} M values/s): one generator output serves 32 elements.");
        }
        if (fast is not null && copy is not null)
        {
            var gaussian = Format.Invariant($"One thread sweeps {fast.Gbps:F2} GB/s with Gaussian noise ({Format.Percent(fast.Gbps / copy.Gbps)} of a {copy.Gbps:F1} GB/s single-thread copy)");
            yield return rademacher is null ? gaussian + "." : gaussian + Format.Invariant($" and {rademacher.Gbps:F2} GB/s with Rademacher noise ({Format.Percent(rademacher.Gbps / copy.Gbps)}).");
        }
    }

    public JsonNode Json() => new JsonObject(ReportFiles.Header("kernels", settings, machine, loadBefore, loadAfter))
    {
        ["job"] = job,
        ["vectorized"] = SweepKernels.IsVectorized,
        ["kernel_path"] = KernelPaths.Fastest.ToString(),
        ["rows"] = ReportFiles.ToNode(rows.Select(r => new { r.Benchmark, r.Size, r.Unit, r.MeanNs, r.MedianNs, r.StdDevNs, r.Iterations, r.Streams, r.PerSecond, r.Gbps }).ToList()),
    };

    public Plot Chart()
    {
        var sweeps = rows.Where(r => r.Unit == "elements").ToList();
        return Charts.StackedBars("Kernels on one thread: million elements per second", "M elements/s", sweeps.Select(r => r.Benchmark).ToList(),
            [new Charts.Segment("elements per second (median)", Colors.SteelBlue, sweeps.Select(r => r.PerSecond / 1e6).ToArray())]);
    }

    private static string Time(double ns) =>
        ns >= 1e6 ? Format.Invariant($"{ns / 1e6:F2} ms") : ns >= 1e3 ? Format.Invariant($"{ns / 1e3:F1} µs") : Format.Invariant($"{ns:F0} ns");
}
