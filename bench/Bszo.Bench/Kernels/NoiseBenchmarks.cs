using BenchmarkDotNet.Attributes;
using Bszo.Ort.Perturbation;

namespace Bszo.Bench.Kernels;

/// <summary>
/// The perturbation kernels on one thread: the squares RNG alone, and the fused sweep
/// <c>w ← w + Σⱼ cⱼ·z(kⱼ)</c> with one and three noise streams, Gaussian and Rademacher, on every
/// vector path this CPU runs in hardware (AVX2, AVX-512), beside the scalar reference.
/// Every call covers <see cref="KernelSizes.Elements"/> weights, so per-element rates follow from the median.
/// </summary>
public class NoiseBenchmarks
{
    private float[] _weights = [];
    private NoiseTerm[] _one = [];
    private NoiseTerm[] _three = [];
    private ulong _key;

    /// <summary>The vector paths that run in hardware here (an emulated path would measure .NET's emulation).</summary>
    public static IEnumerable<KernelPath> HardwarePaths() =>
        new[] { KernelPath.Avx2, KernelPath.Avx512 }.Where(KernelPaths.IsHardwareAccelerated).DefaultIfEmpty(KernelPath.Reference);

    [ParamsSource(nameof(HardwarePaths))]
    public KernelPath Path { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _weights = new float[KernelSizes.Elements];
        _key = SquaresRng.Key(42, 0);
        _one = [new NoiseTerm(_key, 1e-3f)];
        _three = [new NoiseTerm(SquaresRng.Key(42, 0), 1e-3f), new NoiseTerm(SquaresRng.Key(43, 0), -1e-3f), new NoiseTerm(SquaresRng.Key(44, 0), 1e-3f)];
    }

    /// <summary>One 32-bit output of squares per element (scalar): the raw generator.</summary>
    [Benchmark]
    public uint SquaresNext()
    {
        uint acc = 0;
        ulong key = _key;
        for (int i = 0; i < _weights.Length; i++) acc ^= SquaresRng.Next((ulong)i, key);
        return acc;
    }

    [Benchmark(Baseline = true)]
    public void Accumulate1Stream() => SweepKernels.Accumulate(_weights, 0, _one, 1f, NoiseKind.Gaussian, Path);

    [Benchmark]
    public void Accumulate3Streams() => SweepKernels.Accumulate(_weights, 0, _three, 1f, NoiseKind.Gaussian, Path);

    [Benchmark]
    public void Rademacher1Stream() => SweepKernels.Accumulate(_weights, 0, _one, 1f, NoiseKind.Rademacher, Path);

    [Benchmark]
    public void Rademacher3Streams() => SweepKernels.Accumulate(_weights, 0, _three, 1f, NoiseKind.Rademacher, Path);

    [Benchmark]
    public void Reference1Stream() => SweepKernels.AccumulateReference(_weights, 0, _one, 1f);

    [Benchmark]
    public void Reference3Streams() => SweepKernels.AccumulateReference(_weights, 0, _three, 1f);
}
