using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Device;

/// <summary>Options for <see cref="DeviceSweep"/>.</summary>
public sealed record DeviceSweepOptions
{
    /// <summary>
    /// Elements per run of the updater graph (a multiple of 16 for Gaussian directions, of 32 for Rademacher ones). The graph materialises several
    /// 8-byte temporaries per element and noise stream, so this bounds the extra memory a sweep
    /// needs: measured on the CPU provider, about 54 bytes per chunk element and stream (213 MiB for
    /// one stream, 647 MiB for three at the default 2²²). Larger chunks spread the per-run overhead
    /// (about 40 kernel launches) over more elements.
    /// </summary>
    public int ChunkElements { get; init; } = 1 << 22;

    /// <summary>The distribution of every direction (Gaussian unless the run chose otherwise).</summary>
    public NoiseKind Noise { get; init; } = NoiseKind.Gaussian;
}
