namespace Bszo.Ort.Perturbation;

/// <summary>
/// Directions of one <see cref="NoiseKind"/> computed on one <see cref="KernelPath"/>: what a sweep
/// hands to the code that mutates its blocks, so that every direction of a run has the run's
/// distribution and every path computes the same bits.
/// </summary>
/// <param name="Kind">The distribution of z.</param>
/// <param name="Path">The implementation that computes it.</param>
public readonly record struct NoiseSource(NoiseKind Kind, KernelPath Path)
{
    /// <summary>Whether this source computes with the scalar definitions (block kernels then use their own scalar references too).</summary>
    public bool IsReference => Path == KernelPath.Reference;

    /// <summary>z(key, index) by definition.</summary>
    public float Value(ulong key, long index) => SweepKernels.Value(Kind, key, index);

    /// <summary>Writes z(key, first + i) into <paramref name="destination"/>.</summary>
    public void Fill(ulong key, long firstIndex, Span<float> destination) => SweepKernels.Fill(Kind, Path, key, firstIndex, destination);

    /// <summary><c>w[i] ← decay·w[i] + Σⱼ cⱼ·z(kⱼ, first + i)</c> (see <see cref="SweepKernels"/>).</summary>
    public void Accumulate(Span<float> weights, long firstIndex, ReadOnlySpan<NoiseTerm> streams, float decay) =>
        SweepKernels.Accumulate(weights, firstIndex, streams, decay, Kind, Path);
}
