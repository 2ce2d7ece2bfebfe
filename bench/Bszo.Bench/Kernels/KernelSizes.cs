namespace Bszo.Bench.Kernels;

/// <summary>
/// Problem sizes of the kernel benchmarks. BenchmarkDotNet runs them in this process (in-process
/// toolchain), so the suite sets these before it starts them: full sizes for results, tiny ones for
/// the smoke run.
/// </summary>
public static class KernelSizes
{
    /// <summary>Weights per sweep call (1 Mi floats = 4 MiB) and counters per RNG call.</summary>
    public static int Elements { get; set; } = 1 << 20;

    /// <summary>Bytes per buffer of the copy benchmark (256 MiB: far beyond the caches).</summary>
    public static long CopyBytes { get; set; } = 256L << 20;

    /// <summary>Threads of the parallel copy (all cores).</summary>
    public static int Threads { get; set; } = Environment.ProcessorCount;
}
