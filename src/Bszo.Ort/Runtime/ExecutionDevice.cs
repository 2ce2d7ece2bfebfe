using Microsoft.ML.OnnxRuntime;

namespace Bszo.Ort.Runtime;

/// <summary>Parses "--device" values and configures the matching execution provider.</summary>
public static class ExecutionDevice
{
    /// <summary>The execution provider's name in <see cref="OrtEnv.GetAvailableProviders"/>.</summary>
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>Whether this build of ONNX Runtime has the CUDA execution provider (a GPU build, <c>-p:BszoCuda=true</c>).</summary>
    public static bool IsCudaAvailable => OrtEnv.Instance().GetAvailableProviders().Contains(CudaProvider);

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
            Throw.Bszo($"Device '{device}' needs the CUDA execution provider, which this build of ONNX Runtime lacks.",
                "CUDAExecutionProvider in the available providers", string.Join(", ", OrtEnv.Instance().GetAvailableProviders()),
                "build with `dotnet build -p:BszoCuda=true` (Microsoft.ML.OnnxRuntime.Gpu) on a machine with CUDA 12 and cuDNN 9, or use --device cpu.");
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
