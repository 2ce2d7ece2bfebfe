using BenchmarkDotNet.Attributes;
using Bszo.Bench.Measure;

namespace Bszo.Bench.Kernels;

/// <summary>The memory-copy roofline: one copy of <see cref="KernelSizes.CopyBytes"/> between two buffers, on one thread and on all.</summary>
public class CopyBenchmarks : IDisposable
{
    private CopyRoofline? _copy;

    [GlobalSetup]
    public void Setup() => _copy = new CopyRoofline(KernelSizes.CopyBytes);

    [GlobalCleanup]
    public void Cleanup()
    {
        _copy?.Dispose();
        _copy = null;
    }

    public void Dispose()
    {
        Cleanup();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public void CopyOneThread() => _copy!.Copy(1);

    [Benchmark]
    public void CopyAllThreads() => _copy!.Copy(KernelSizes.Threads);
}
