using Bszo.Onnx;
using Bszo.Ort.Graph;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Ort.Device;

/// <summary>
/// Runs the updater graph (<see cref="SweepGraph"/>) over chunks of weights through one
/// <see cref="OrtIoBinding"/>: the weight chunk is bound as both input and output (in place).
/// </summary>
/// <remarks>
/// <para><b>Rebinding.</b> When a bound input lives on the host and the node consuming it on the
/// device, ONNX Runtime copies it when it is bound, not when the graph runs. The small host inputs
/// (keys, coefficients, decay, chunk bounds) are therefore bound again every time their contents
/// change, so the device never sees stale values.</para>
/// <para><b>Ownership.</b> The session owns the ONNX Runtime session, its binding and the small
/// host buffers. Chunk values passed to <see cref="Run"/> are borrowed for the duration of the call.
/// <b>Threading.</b> One caller at a time.</para>
/// </remarks>
internal sealed class SweepGraphSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly long[] _first = new long[1];
    private readonly long[] _limit = new long[1];
    private readonly float[] _decay = new float[1];
    private readonly OrtValue _firstValue, _limitValue, _decayValue;
    private ulong[] _keys = [];
    private float[] _coefficients = [];
    private OrtValue? _keysValue, _coefficientsValue;

    private SweepGraphSession(InferenceSession session, int runtimeType, NoiseKind noise)
    {
        _session = session;
        RuntimeType = runtimeType;
        Noise = noise;
        _binding = session.CreateIoBinding();
        _firstValue = OrtValue.CreateTensorValueFromMemory(_first, []);
        _limitValue = OrtValue.CreateTensorValueFromMemory(_limit, []);
        _decayValue = OrtValue.CreateTensorValueFromMemory(_decay, []);
    }

    /// <summary>Element type of the runtime copy the graph writes (float: none).</summary>
    public int RuntimeType { get; }

    /// <summary>The distribution of the directions the graph computes.</summary>
    public NoiseKind Noise { get; }

    /// <summary>Number of terms set by the last <see cref="SetTerms"/>.</summary>
    public int TermCount => _keys.Length;

    /// <summary>Creates the session for <paramref name="runtimeType"/> and directions of <paramref name="noise"/> on the device named in <paramref name="settings"/>.</summary>
    public static SweepGraphSession Create(int runtimeType, SessionSettings settings, NoiseKind noise = NoiseKind.Gaussian)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var model = SweepGraph.Create(runtimeType, noise).ToByteArray();
        // Basic optimisation only: the graph is already minimal, and the in-place contract relies on
        // its structure (see SweepGraph), which fusions must not rewrite.
        using var options = (settings with { OptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC, MemoryPattern = false }).CreateOptions();
        var session = DeviceSessions.Open(model, options, "the updater graph", settings.Device);
        return new SweepGraphSession(session, runtimeType, noise);
    }

    /// <summary>Sets the noise terms and decay used by the following <see cref="Run"/> calls.</summary>
    public void SetTerms(ReadOnlySpan<NoiseTerm> terms, float decay)
    {
        if (terms.Length == 0) throw new ArgumentException("At least one term is needed; use a zero coefficient for decay alone.", nameof(terms));
        if (terms.Length != _keys.Length)
        {
            _keysValue?.Dispose();
            _coefficientsValue?.Dispose();
            _keys = new ulong[terms.Length];
            _coefficients = new float[terms.Length];
            long[] shape = [terms.Length, 1, 1, 1];
            _keysValue = OrtValue.CreateTensorValueFromMemory(_keys, shape);
            _coefficientsValue = OrtValue.CreateTensorValueFromMemory(_coefficients, shape);
        }
        for (int j = 0; j < terms.Length; j++)
        {
            _keys[j] = terms[j].Key;
            _coefficients[j] = terms[j].Coefficient;
        }
        _decay[0] = decay;
        _binding.BindInput(SweepGraph.Keys, _keysValue!);
        _binding.BindInput(SweepGraph.Coefficients, _coefficientsValue!);
        _binding.BindInput(SweepGraph.Decay, _decayValue);
    }

    /// <summary>
    /// Applies the current terms to the chunk <paramref name="weights"/>, which holds elements
    /// [<paramref name="first"/>, <paramref name="first"/> + n) of its tensor, writing
    /// <paramref name="updated"/> (which may be the same value, for an in-place sweep) and, for
    /// 16-bit storage, <paramref name="runtimeCopy"/>.
    /// </summary>
    public void Run(OrtValue weights, OrtValue updated, OrtValue? runtimeCopy, long first, long count)
    {
        if (_keysValue is null) throw new InvalidOperationException("SetTerms must be called before Run.");
        int alignment = SweepGraph.Alignment(Noise);
        if (first % alignment != 0 || count % alignment != 0 || count <= 0)
        {
            throw new ArgumentException($"Chunks start and end on multiples of {alignment} elements (got first {first}, count {count}).");
        }
        if ((runtimeCopy is null) != (RuntimeType == OnnxDataType.Float))
        {
            throw new ArgumentException("A runtime copy is written exactly when the graph was built for 16-bit storage.", nameof(runtimeCopy));
        }
        _first[0] = first;
        _limit[0] = first + count;
        _binding.BindInput(SweepGraph.First, _firstValue);
        _binding.BindInput(SweepGraph.Limit, _limitValue);
        _binding.BindInput(SweepGraph.Weights, weights);
        _binding.BindOutput(SweepGraph.UpdatedWeights, updated);
        if (runtimeCopy is not null) _binding.BindOutput(SweepGraph.RuntimeCopy, runtimeCopy);
        _session.RunWithBinding(_runOptions, _binding);
    }

    public void Dispose()
    {
        _binding.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        _firstValue.Dispose();
        _limitValue.Dispose();
        _decayValue.Dispose();
        _keysValue?.Dispose();
        _coefficientsValue?.Dispose();
    }
}
