using Microsoft.ML.OnnxRuntime;

namespace Bszo.Ort.Device;

/// <summary>Opens the small graphs Bszo generates for device work, with one error shape.</summary>
internal static class DeviceSessions
{
    /// <summary>Creates a session over the serialized model <paramref name="model"/>; the caller owns it.</summary>
    public static InferenceSession Open(byte[] model, SessionOptions options, string what, string device)
    {
        try
        {
            return new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            return Throw.Bszo<InferenceSession>(e, $"ONNX Runtime could not load {what} on device '{device}'.",
                "every node placed on the device", e.Message,
                "the generated graphs use only operators the CPU and CUDA providers implement; check the ONNX Runtime build (`dotnet build -p:BszoCuda=true` for CUDA).");
        }
    }
}
