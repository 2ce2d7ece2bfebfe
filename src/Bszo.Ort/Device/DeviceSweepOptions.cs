namespace Bszo.Ort.Device;

/// <summary>Options for <see cref="DeviceSweep"/>.</summary>
public sealed record DeviceSweepOptions
{
    /// <summary>
    /// Elements per run of the updater graph (a multiple of 16). The graph materialises several
    /// 8-byte temporaries per element and noise stream, so this bounds the extra device memory a
    /// sweep needs; larger chunks spread the per-run overhead over more elements.
    /// </summary>
    public int ChunkElements { get; init; } = 1 << 22;
}
