using Bszo.Onnx;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Ort.Device;

/// <summary>
/// Moves and converts 1-D tensors with one-node graphs (Identity, or Cast between storage types)
/// run on the device: with the source bound in host memory this uploads, with the destination
/// bound in host memory it downloads, and with both on the device it converts between storage types.
/// </summary>
/// <remarks>
/// <para>Why graphs: the managed ONNX Runtime API has no portable host↔device copy of a caller's
/// buffer (<c>OrtEnv.CopyTensors</c> belongs to the plugin-device API), but ONNX Runtime copies any
/// bound input or output that lives on another device than the node using it.</para>
/// <para><b>Ownership.</b> The copier owns one session and binding per (source type, destination
/// type) pair, created on first use. Values passed to
/// <see cref="Copy"/> are borrowed for the call. <b>Threading.</b> One caller at a time.</para>
/// </remarks>
internal sealed class TensorCopier : IDisposable
{
    private const string Source = "x", Destination = "y";
    private readonly SessionSettings _settings;
    private readonly Dictionary<(int From, int To), (InferenceSession Session, OrtIoBinding Binding)> _sessions = [];
    private readonly RunOptions _runOptions = new();

    public TensorCopier(SessionSettings settings)
    {
        _settings = (settings ?? throw new ArgumentNullException(nameof(settings))) with
        {
            OptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, // keep the single node as it is
            MemoryPattern = false,
        };
    }

    /// <summary>The fp32 Identity session (its allocator serves the device weight store).</summary>
    public InferenceSession Identity => SessionFor(OnnxDataType.Float, OnnxDataType.Float).Session;

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> (same element count), converting the type if they differ.</summary>
    public void Copy(OrtValue source, int sourceType, OrtValue destination, int destinationType)
    {
        var (session, binding) = SessionFor(sourceType, destinationType);
        binding.BindInput(Source, source);
        binding.BindOutput(Destination, destination);
        session.RunWithBinding(_runOptions, binding);
    }

    private (InferenceSession Session, OrtIoBinding Binding) SessionFor(int from, int to)
    {
        if (_sessions.TryGetValue((from, to), out var existing)) return existing;
        var g = new GraphBuilder("bszo_copy");
        g.Input(Source, from, "n");
        if (from == to) g.Node("Identity", [Source], Destination);
        else g.Node("Cast", [Source], Destination, ("to", to));
        g.Output(Destination, to, "n");
        using var options = _settings.CreateOptions();
        var session = DeviceSessions.Open(g.Build().ToByteArray(), options,
            $"the {OnnxDataType.Name(from)}→{OnnxDataType.Name(to)} copy graph", _settings.Device);
        var entry = (session, session.CreateIoBinding());
        _sessions[(from, to)] = entry;
        return entry;
    }

    public void Dispose()
    {
        foreach (var (session, binding) in _sessions.Values)
        {
            binding.Dispose();
            session.Dispose();
        }
        _sessions.Clear();
        _runOptions.Dispose();
    }
}
