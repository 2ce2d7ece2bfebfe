using Microsoft.ML.OnnxRuntime;

namespace Bszo.Ort.Runtime;

/// <summary>Parses "--device" values and configures the matching execution provider.</summary>
public static class ExecutionDevice
{
    /// <summary>Adds the execution provider for <paramref name="device"/> to <paramref name="options"/>.</summary>
    public static void Configure(SessionOptions options, string device)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (kind, index) = Parse(device);
        if (kind == "cpu") return;
        if (!OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider"))
        {
            Throw.Bszo($"Device '{device}' needs the CUDA execution provider, which this build of ONNX Runtime lacks.",
                "CUDAExecutionProvider in the available providers", string.Join(", ", OrtEnv.Instance().GetAvailableProviders()),
                "build with `dotnet build -p:BszoCuda=true` (Microsoft.ML.OnnxRuntime.Gpu) on a machine with CUDA 12 and cuDNN 9, or use --device cpu.");
        }
        using var cuda = new OrtCUDAProviderOptions();
        cuda.UpdateOptions(new Dictionary<string, string>
        {
            ["device_id"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["arena_extend_strategy"] = "kSameAsRequested",
        });
        options.AppendExecutionProvider_CUDA(cuda);
        // A node that silently falls back to the CPU would copy weights every run: fail at creation instead.
        options.AddSessionConfigEntry("session.disable_cpu_ep_fallback", "1");
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
