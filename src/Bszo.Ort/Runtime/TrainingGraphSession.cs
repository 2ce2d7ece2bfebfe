using Bszo.Ort.Device;
using Bszo.Ort.Graph;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Ort.Runtime;

/// <summary>
/// Forward passes over a prepared training graph whose trainable weights are read, in place, from a
/// <see cref="WeightStore"/> (host memory) or a <see cref="DeviceWeightStore"/> (device memory).
/// </summary>
/// <remarks>
/// <para>Every trainable tensor is bound once through an <see cref="OrtIoBinding"/> to the store's
/// zero-copy value; a change to the store is visible to the next run. Data inputs are rebound per
/// batch, and only the per-example loss (B floats) is fetched.</para>
/// <para><b>Ownership.</b> The session owns the ONNX Runtime session, its bindings and the loss
/// buffer; it borrows the store, which must be disposed after the session.</para>
/// <para><b>Threading.</b> One caller at a time; runs and weight mutations must never overlap.</para>
/// </remarks>
public sealed class TrainingGraphSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _trainBinding;
    private readonly RunOptions _runOptions;
    private readonly IReadOnlyList<StoredTensor> _tensors;
    private readonly Func<int, OrtValue> _weightValue;
    private readonly HashSet<string> _dataInputs;
    private float[] _losses = new float[64];
    private OrtValue? _lossValue;
    private int _examples;

    private TrainingGraphSession(InferenceSession session, IReadOnlyList<StoredTensor> tensors, Func<int, OrtValue> weightValue, PreparedModel? model)
    {
        _session = session;
        _tensors = tensors;
        _weightValue = weightValue;
        Model = model;
        _runOptions = new RunOptions();
        var weightNames = tensors.Select(t => t.Entry.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            if (!session.InputMetadata.TryGetValue(t.Entry.Name, out var meta))
            {
                Throw.Bszo($"The training graph has no input for trainable tensor '{t.Entry.Name}'.",
                    "every trainable tensor to be a graph input", "no such input",
                    "the weights and the graph come from different prepare runs; prepare the model again.");
            }
            var expected = OnnxDataType.ToOrt(t.Entry.StorageType);
            if (meta.ElementDataType != expected)
            {
                Throw.Bszo($"Graph input '{t.Entry.Name}' has element type {meta.ElementDataType}.", expected.ToString(), meta.ElementDataType.ToString(),
                    "the weights and the graph come from different prepare runs; prepare the model again.");
            }
        }
        _dataInputs = session.InputMetadata.Keys.Where(n => !weightNames.Contains(n)).ToHashSet(StringComparer.Ordinal);
        if (!session.OutputMetadata.ContainsKey(LossHead.LossOutput))
        {
            Throw.Bszo($"The training graph has no '{LossHead.LossOutput}' output.",
                $"an fp32 output '{LossHead.LossOutput}' of shape [batch]", string.Join(", ", session.OutputMetadata.Keys),
                "training graphs come from `bszo prepare`, which attaches a loss head.");
        }
        _trainBinding = session.CreateIoBinding();
        foreach (var t in tensors) _trainBinding.BindInput(t.Entry.Name, weightValue(t.Entry.Id));
    }

    /// <summary>The prepared model, when the session was created from one.</summary>
    public PreparedModel? Model { get; }

    /// <summary>Names of the inputs that each batch must provide.</summary>
    public IReadOnlyCollection<string> DataInputs => _dataInputs;

    /// <summary>Input metadata (types, shapes) of the graph.</summary>
    public IReadOnlyDictionary<string, NodeMetadata> InputMetadata => _session.InputMetadata;

    /// <summary>Output metadata of the graph.</summary>
    public IReadOnlyDictionary<string, NodeMetadata> OutputMetadata => _session.OutputMetadata;

    /// <summary>Forward passes run so far.</summary>
    public long ForwardPasses { get; private set; }

    /// <summary>Per-example losses of the last <see cref="Loss"/> call.</summary>
    public ReadOnlySpan<float> ExampleLosses => _losses.AsSpan(0, _examples);

    /// <summary>Creates a session over a prepared model's graph and a store holding its weights.</summary>
    public static TrainingGraphSession Create(PreparedModel model, WeightStore weights, SessionSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Create(model.GraphPath, weights, settings, model);
    }

    /// <summary>Creates a session over the training graph at <paramref name="graphPath"/>.</summary>
    public static TrainingGraphSession Create(string graphPath, WeightStore weights, SessionSettings? settings = null, PreparedModel? model = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Open(graphPath, weights.Tensors, weights.Value, settings ?? new SessionSettings(), model);
    }

    /// <summary>
    /// Creates a session over a prepared model's graph whose weights live in <paramref name="weights"/>
    /// on an execution device. The session runs on that device (<paramref name="settings"/>, if
    /// given, must name the same one); only the per-example losses are copied to the host.
    /// </summary>
    public static TrainingGraphSession Create(PreparedModel model, DeviceWeightStore weights, SessionSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Create(model.GraphPath, weights, settings, model);
    }

    /// <summary>Creates a session over the training graph at <paramref name="graphPath"/> with weights on a device.</summary>
    public static TrainingGraphSession Create(string graphPath, DeviceWeightStore weights, SessionSettings? settings = null, PreparedModel? model = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        settings ??= new SessionSettings { Device = weights.Device };
        if (ExecutionDevice.Normalize(settings.Device) != weights.Device)
        {
            Throw.Bszo($"The session would run on '{settings.Device}' but the weights are on '{weights.Device}'.", weights.Device, settings.Device,
                "create the session with the device of the weight store (SessionSettings.Device).");
        }
        return Open(graphPath, weights.Tensors, weights.Value, settings, model);
    }

    private static TrainingGraphSession Open(string graphPath, IReadOnlyList<StoredTensor> tensors, Func<int, OrtValue> weightValue, SessionSettings settings, PreparedModel? model)
    {
        using var options = settings.CreateOptions();
        InferenceSession session;
        try
        {
            session = new InferenceSession(graphPath, options);
        }
        catch (OnnxRuntimeException e) when (!settings.AllowCpuFallback && e.Message.Contains("fallback to CPU EP has been explicitly disabled", StringComparison.Ordinal))
        {
            session = Throw.Bszo<InferenceSession>(e, $"ONNX Runtime would run part of '{graphPath}' on the CPU instead of '{settings.Device}'.",
                $"every node on {settings.Device}", e.Message,
                "usually small shape computations, which the CUDA provider leaves to the CPU by design; SessionSettings.AllowCpuFallback permits them, but a CPU node that reads a weight copies it on every run (ONNX Runtime's verbose log lists node placements).");
        }
        catch (OnnxRuntimeException e)
        {
            session = Throw.Bszo<InferenceSession>(e, $"ONNX Runtime could not load '{graphPath}'.", found: e.Message,
                hint: "unsupported operators or types are named above; check that the model runs in plain ONNX Runtime.");
        }
        try
        {
            return new TrainingGraphSession(session, tensors, weightValue, model);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Binds the data inputs of <paramref name="batch"/> for the following <see cref="Loss"/> calls.</summary>
    public void Bind(TensorBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var provided = batch.Values.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var missing = _dataInputs.Where(n => !provided.Contains(n)).ToList();
        if (missing.Count > 0)
        {
            Throw.Bszo($"The batch lacks graph input(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}.",
                string.Join(", ", _dataInputs), string.Join(", ", provided), "the data collator and the model disagree on input names.");
        }
        foreach (var (name, value) in batch.Values)
        {
            if (!_dataInputs.Contains(name))
            {
                Throw.Bszo($"The batch has an input '{name}' the graph does not take.", string.Join(", ", _dataInputs), name);
            }
            RequireShape(name, value);
            _trainBinding.BindInput(name, value);
        }
        if (_losses.Length < batch.Examples) _losses = new float[batch.Examples];
        _examples = batch.Examples;
        _lossValue?.Dispose();
        _lossValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _losses.AsMemory(0, _examples), [_examples]);
        _trainBinding.BindOutput(LossHead.LossOutput, _lossValue);
    }

    /// <summary>Checks a batch tensor against the fixed dimensions of its graph input, so that data that does not fit the model fails with a message rather than deep in ONNX Runtime.</summary>
    private void RequireShape(string name, OrtValue value)
    {
        var expected = _session.InputMetadata[name];
        if (!expected.IsTensor) return;
        var shape = value.GetTensorTypeAndShape().Shape;
        var dims = expected.Dimensions;
        bool fits = shape.Length == dims.Length;
        for (int i = 0; fits && i < dims.Length; i++) fits = dims[i] <= 0 || dims[i] == shape[i];
        if (fits) return;
        var symbolic = expected.SymbolicDimensions;
        var wanted = dims.Select((d, i) => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.IsNullOrEmpty(symbolic[i]) ? "?" : symbolic[i]);
        Throw.Bszo($"The examples do not fit graph input '{name}'.", $"shape [{string.Join(", ", wanted)}]", $"shape [{string.Join(", ", shape)}]",
            "the prompts or data do not match what the model takes (for a feature classifier: one number per input feature); check the task's template and the model card.");
    }

    /// <summary>
    /// Runs one forward pass on the bound batch with the current weights and returns the mean
    /// per-example loss, accumulated in double.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss is NaN or infinite.</exception>
    public double Loss()
    {
        if (_lossValue is null) Throw.Bszo("No batch is bound.", hint: "call Bind(batch) before Loss().");
        try
        {
            _session.RunWithBinding(_runOptions, _trainBinding);
        }
        catch (OnnxRuntimeException e) when (_runOptions.Terminate)
        {
            throw new OperationCanceledException("The forward pass was cancelled.", e);
        }
        ForwardPasses++;
        double sum = 0;
        for (int i = 0; i < _examples; i++) sum += _losses[i];
        double mean = sum / _examples;
        if (!double.IsFinite(mean))
        {
            int bad = Array.FindIndex(_losses, 0, _examples, l => !float.IsFinite(l));
            Throw.Diverged($"The loss is {mean} (example {bad} of the batch gives {_losses[Math.Max(bad, 0)]}).",
                "lower the learning rate or epsilon; with fp16/bf16 models check for overflow. The last checkpoint is intact.");
        }
        return mean;
    }

    /// <summary>
    /// Runs the graph on <paramref name="batch"/> and returns the requested output as a flat fp32
    /// array with its shape (for evaluation; the weights are read in place as for training).
    /// </summary>
    public (float[] Data, long[] Shape) Run(TensorBatch batch, string output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_session.OutputMetadata.ContainsKey(output))
        {
            Throw.Bszo($"The graph has no output '{output}'.", string.Join(", ", _session.OutputMetadata.Keys), output);
        }
        using var binding = _session.CreateIoBinding();
        foreach (var t in _tensors) binding.BindInput(t.Entry.Name, _weightValue(t.Entry.Id));
        foreach (var (name, value) in batch.Values) if (_dataInputs.Contains(name)) binding.BindInput(name, value);
        binding.BindOutputToDevice(output, OrtMemoryInfo.DefaultInstance);
        using var results = _session.RunWithBoundResults(_runOptions, binding);
        ForwardPasses++;
        var result = results[0];
        var info = result.GetTensorTypeAndShape();
        float[] data = info.ElementDataType switch
        {
            Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float => result.GetTensorDataAsSpan<float>().ToArray(),
            Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16 => result.GetTensorDataAsSpan<Microsoft.ML.OnnxRuntime.Float16>().ToArray().Select(h => h.ToFloat()).ToArray(),
            _ => Throw.Bszo<float[]>($"Output '{output}' has element type {info.ElementDataType}.", "float or float16", info.ElementDataType.ToString()),
        };
        return (data, info.Shape);
    }

    /// <summary>Asks an in-flight forward pass to stop (e.g. on Ctrl-C); the run throws <see cref="OperationCanceledException"/>.</summary>
    public void Cancel() => _runOptions.Terminate = true;

    public void Dispose()
    {
        _trainBinding.Dispose();
        _lossValue?.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
