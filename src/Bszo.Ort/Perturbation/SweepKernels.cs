using System.Runtime.CompilerServices;

namespace Bszo.Ort.Perturbation;

/// <summary>
/// The inner loop of every weight mutation: <c>w[i] ← decay·w[i] + Σⱼ cⱼ·z(kⱼ, first + i)</c> over a
/// span of fp32 master weights, in one read-modify-write pass, for either <see cref="NoiseKind"/>
/// and on any <see cref="KernelPath"/>.
/// </summary>
/// <remarks>
/// Every path computes the same function bit for bit: <see cref="AccumulateReference(Span{float}, long, ReadOnlySpan{NoiseTerm}, float, NoiseKind)"/>, a plain
/// scalar loop over the noise's definition, and the vector kernels (<see cref="GaussianKernel{TLanes}"/>,
/// <see cref="RademacherKernel{TLanes}"/>) at 256 or 512 bits. The sum over streams is formed in fp32
/// in stream order and then added to the weight once, in all of them. None allocates.
/// </remarks>
public static class SweepKernels
{
    /// <summary>Whether a vectorised kernel is used on this machine.</summary>
    public static bool IsVectorized => KernelPaths.Fastest != KernelPath.Reference;

    /// <summary>Gaussian directions on the fastest path.</summary>
    public static void Accumulate(Span<float> weights, long firstIndex, ReadOnlySpan<NoiseTerm> streams, float decay) =>
        Accumulate(weights, firstIndex, streams, decay, NoiseKind.Gaussian, KernelPaths.Fastest);

    /// <summary>The scalar reference for Gaussian directions.</summary>
    public static void AccumulateReference(Span<float> weights, long firstIndex, ReadOnlySpan<NoiseTerm> streams, float decay) =>
        AccumulateReference(weights, firstIndex, streams, decay, NoiseKind.Gaussian);

    /// <summary>
    /// How many elements from index <paramref name="first"/> come before the next multiple of
    /// <paramref name="alignment"/> (a power of two), at most <paramref name="length"/>: the partial
    /// block at the start of a span, which the vector kernels compute apart from their whole blocks.
    /// </summary>
    internal static int UnalignedHead(long first, int alignment, int length) =>
        (int)Math.Min(length, (alignment - (first & (alignment - 1))) & (alignment - 1));

    /// <summary>Scalar reference: the definition that the vector kernels must match exactly.</summary>
    public static void AccumulateReference(Span<float> weights, long firstIndex, ReadOnlySpan<NoiseTerm> streams, float decay, NoiseKind noise)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            float sum = 0f;
            foreach (var stream in streams) sum += stream.Coefficient * Value(noise, stream.Key, firstIndex + i);
            weights[i] = decay * weights[i] + sum;
        }
    }

    /// <summary>
    /// <c>w[i] ← decay·w[i] + Σⱼ cⱼ·z(kⱼ, first + i)</c> with <paramref name="noise"/> directions on
    /// <paramref name="path"/>. <paramref name="firstIndex"/> need not be aligned to anything.
    /// </summary>
    public static void Accumulate(Span<float> weights, long firstIndex, ReadOnlySpan<NoiseTerm> streams, float decay, NoiseKind noise, KernelPath path)
    {
        switch (path, noise)
        {
            case (KernelPath.Avx2, NoiseKind.Gaussian): GaussianKernel<Lanes256>.Accumulate(weights, firstIndex, streams, decay); break;
            case (KernelPath.Avx512, NoiseKind.Gaussian): GaussianKernel<Lanes512>.Accumulate(weights, firstIndex, streams, decay); break;
            case (KernelPath.Avx2, NoiseKind.Rademacher): RademacherKernel<Lanes256>.Accumulate(weights, firstIndex, streams, decay); break;
            case (KernelPath.Avx512, NoiseKind.Rademacher): RademacherKernel<Lanes512>.Accumulate(weights, firstIndex, streams, decay); break;
            default: AccumulateReference(weights, firstIndex, streams, decay, noise); break;
        }
    }

    /// <summary>Writes z(key, first + i) of <paramref name="noise"/> into <paramref name="destination"/> on <paramref name="path"/>.</summary>
    public static void Fill(NoiseKind noise, KernelPath path, ulong key, long firstIndex, Span<float> destination)
    {
        switch (path, noise)
        {
            case (KernelPath.Avx2, NoiseKind.Gaussian): GaussianKernel<Lanes256>.Fill(key, firstIndex, destination); break;
            case (KernelPath.Avx512, NoiseKind.Gaussian): GaussianKernel<Lanes512>.Fill(key, firstIndex, destination); break;
            case (KernelPath.Avx2, NoiseKind.Rademacher): RademacherKernel<Lanes256>.Fill(key, firstIndex, destination); break;
            case (KernelPath.Avx512, NoiseKind.Rademacher): RademacherKernel<Lanes512>.Fill(key, firstIndex, destination); break;
            default:
                for (int i = 0; i < destination.Length; i++) destination[i] = Value(noise, key, firstIndex + i);
                break;
        }
    }

    /// <summary>The definition of z(key, index) for <paramref name="noise"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Value(NoiseKind noise, ulong key, long index) =>
        noise == NoiseKind.Rademacher ? RademacherNoise.Value(key, index) : GaussianNoise.Value(key, index);
}
