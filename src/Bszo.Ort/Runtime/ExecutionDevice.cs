using Microsoft.ML.OnnxRuntime;

namespace Bszo.Ort.Runtime;

/// <summary>Parses "--device" values and configures the matching execution provider.</summary>
public static class ExecutionDevice
{
    /// <summary>The execution provider's name in <see cref="OrtEnv.GetAvailableProviders"/>.</summary>
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>
    /// Whether CUDA can be used: this build of ONNX Runtime has the CUDA execution provider (a GPU build,
    /// <c>-p:BszoCuda=true</c>) and its provider library loads (the CUDA runtime libraries are installed).
    /// </summary>
    public static bool IsCudaAvailable => CudaStatus.Value.Usable;

    /// <summary>Why CUDA cannot be used here (empty when it can): for error messages and skipped tests.</summary>
    public static string CudaUnavailableReason => CudaStatus.Value.Reason;

    // The GPU package lists CUDAExecutionProvider whether or not the CUDA libraries exist: only loading the
    // provider library (which setting its options does) tells, so probe once per process.
    private static readonly Lazy<(bool Usable, string Reason)> CudaStatus = new(ProbeCuda);

    private static (bool, string) ProbeCuda()
    {
        var providers = OrtEnv.Instance().GetAvailableProviders();
        if (!providers.Contains(CudaProvider))
        {
            return (false, $"this build of ONNX Runtime has no CUDA execution provider (providers: {string.Join(", ", providers)}); build with -p:BszoCuda=true");
        }
        try
        {
            using var probe = new OrtCUDAProviderOptions();
            probe.UpdateOptions(new Dictionary<string, string> { ["device_id"] = "0" });
            return (true, "");
        }
        catch (OnnxRuntimeException e)
        {
            return (false, $"the CUDA execution provider cannot load: {e.Message.Split(" with error: ")[^1]}");
        }
    }

    /// <summary>Adds the execution provider for <paramref name="device"/> to <paramref name="options"/>.</summary>
    public static void Configure(SessionOptions options, string device) => Configure(options, device, allowCpuFallback: false);

    /// <summary>
    /// Adds the execution provider for <paramref name="device"/> to <paramref name="options"/>. Unless
    /// <paramref name="allowCpuFallback"/>, a graph with a node the device cannot run fails to load.
    /// </summary>
    public static void Configure(SessionOptions options, string device, bool allowCpuFallback)
    {
        ArgumentNullException.ThrowIfNull(options);
        RequireAvailable(device);
        var (kind, index) = Parse(device);
        if (kind == "cpu") return;
        using var cuda = new OrtCUDAProviderOptions();
        cuda.UpdateOptions(new Dictionary<string, string>
        {
            ["device_id"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["arena_extend_strategy"] = "kSameAsRequested",
            // TF32 keeps 10 mantissa bits in fp32 MatMul/Conv. A zeroth-order gradient is a difference
            // of two losses a few ε·|∇L·z| apart, which TF32 rounding would swamp: full fp32 only.
            ["use_tf32"] = "0",
        });
        options.AppendExecutionProvider_CUDA(cuda);
        // A node that silently falls back to the CPU would copy weights every run: fail at creation instead.
        if (!allowCpuFallback) options.AddSessionConfigEntry("session.disable_cpu_ep_fallback", "1");
    }

    /// <summary>Checks that <paramref name="device"/> is spelled right and that this build can run on it (before any work is done).</summary>
    public static void RequireAvailable(string device)
    {
        var (kind, _) = Parse(device);
        if (kind != "cpu" && !IsCudaAvailable)
        {
            Throw.Bszo($"Device '{device}' needs the CUDA execution provider, which cannot be used here.",
                "a GPU build whose CUDA provider loads", CudaUnavailableReason,
                "build with `dotnet build -p:BszoCuda=true` (Microsoft.ML.OnnxRuntime.Gpu 1.32, which needs the CUDA 13 runtime and cuDNN 9) on a machine with an NVIDIA GPU, or use --device cpu.");
        }
    }

    /// <summary>
    /// Describes memory on <paramref name="device"/>, for allocating and wrapping tensors there.
    /// The caller owns and disposes the result.
    /// </summary>
    public static OrtMemoryInfo CreateMemoryInfo(string device)
    {
        var (kind, index) = Parse(device);
        return kind == "cpu"
            ? new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default)
            : new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, index, OrtMemType.Default);
    }

    /// <summary>The canonical spelling of <paramref name="device"/> ("cpu", "cuda:0", ...), for comparisons and messages.</summary>
    public static string Normalize(string device)
    {
        var (kind, index) = Parse(device);
        return kind == "cpu" ? "cpu" : $"cuda:{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>Splits "cuda:1" into ("cuda", 1).</summary>
    public static (string Kind, int Index) Parse(string device)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        var parts = device.Trim().ToLowerInvariant().Split(':');
        int index = 0;
        if (parts.Length > 2 || (parts.Length == 2 && !int.TryParse(parts[1], out index)) || parts[0] is not ("cpu" or "cuda") || index < 0)
        {
            Throw.Bszo($"Unknown device '{device}'.", "cpu, cuda or cuda:N", device);
        }
        return (parts[0], index);
    }
}
