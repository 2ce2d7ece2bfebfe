namespace Bszo.Ort.Device;

/// <summary>Options for <see cref="DeviceWeightStore"/>.</summary>
public sealed record DeviceWeightStoreOptions
{
    /// <summary>
    /// The execution device: "cuda" / "cuda:N" in a GPU build. "cpu" places the store in memory
    /// allocated by ONNX Runtime's CPU provider, which runs the whole device path on any machine.
    /// </summary>
    public string Device { get; init; } = "cuda";

    /// <summary>Intra-op threads of the store's sessions (they matter on the CPU device only).</summary>
    public int IntraOpThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Elements per upload or download step; each step stages this many elements in a temporary
    /// buffer on the device.
    /// </summary>
    public int TransferChunkElements { get; init; } = 1 << 22;
}
