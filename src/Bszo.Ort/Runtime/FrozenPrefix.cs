using Bszo.Onnx;
using Bszo.Ort.Graph;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Bszo.Ort.Runtime;

/// <summary>One activation at the cut between frozen prefix and trainable tail.</summary>
/// <param name="Name">The activation's name in the training graph.</param>
/// <param name="Sequence">
/// Whether its axis 1 is a sequence axis: a length that varies from batch to batch (token positions,
/// padded to the batch's longest example), so each example has a row per position.
/// </param>
/// <param name="Dimensions">Its fixed dimensions: the shape without the leading batch axis (and without the sequence axis).</param>
public sealed record BoundaryActivation(string Name, bool Sequence, IReadOnlyList<long> Dimensions)
{
    /// <summary>Floats per example, or per position of an example when the activation has a <see cref="Sequence"/> axis.</summary>
    public int RowLength { get; } = checked((int)Dimensions.Aggregate(1L, (a, b) => a * b));

    /// <summary>The shape in words, e.g. "[sequence × 512]".</summary>
    public string Describe() => "[" + string.Join("×", (Sequence ? ["sequence"] : Array.Empty<string>()).Concat(Dimensions.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)))) + "]";
}

/// <summary>One boundary activation's values for a batch, row-major.</summary>
/// <param name="Values">The values.</param>
/// <param name="Shape">Their shape: [rows, (sequence,) fixed dimensions...].</param>
public sealed record ActivationRows(float[] Values, long[] Shape);

/// <summary>
/// A prepared model's frozen prefix as a runnable graph, and its trainable tail as a training graph:
/// the pieces that let training compute the prefix once per example instead of on every pass.
/// </summary>
/// <remarks>
/// <para><see cref="TryOpen"/> splits the training graph (<see cref="FrozenPrefixSplit"/>), writes
/// <c>frozen_prefix.onnx</c> and <c>trainable_tail.onnx</c> beside it (both read the prepared
/// directory's <c>frozen.bin</c>), and opens the prefix. A split is offered only when every boundary
/// activation is fp32 of shape [batch, fixed dimensions...] or [batch, sequence, fixed dimensions...]
/// (a hidden state per token position; the sequence axis is padded to each batch's longest example,
/// so whoever stores rows trims them to each example's own length, see <c>CachedPrefixAdapter</c>).</para>
/// <para>The tail graph is a training graph like the whole one: open it with
/// <see cref="TrainingGraphSession.Create(string, WeightStore, SessionSettings?, PreparedModel?)"/>
/// and feed it batches holding the boundary activations plus <see cref="PassThrough"/> inputs.</para>
/// <para><b>Ownership.</b> This object owns the prefix's ONNX Runtime session (and the frozen weights
/// it loaded); dispose it as soon as the rows are computed to give that memory back.</para>
/// </remarks>
public sealed class FrozenPrefix : IDisposable
{
    /// <summary>File name of the prefix graph in the prepared directory.</summary>
    public const string PrefixFile = "frozen_prefix.onnx";

    /// <summary>File name of the tail training graph in the prepared directory.</summary>
    public const string TailFile = "trainable_tail.onnx";

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _outputNames;
    private readonly Dictionary<string, List<string?>> _dataInputs;

    private FrozenPrefix(InferenceSession session, FrozenPrefixSplit split, IReadOnlyList<BoundaryActivation> boundary, string tailPath,
        Dictionary<string, List<string?>> dataInputs)
    {
        _session = session;
        _dataInputs = dataInputs;
        Boundary = boundary;
        PassThrough = split.PassThrough;
        PrefixNodes = split.PrefixNodes;
        TailNodes = split.TailNodes;
        TailGraphPath = tailPath;
        _outputNames = boundary.Select(b => b.Name).ToArray();
    }

    /// <summary>The activations the tail reads, with their per-example sizes.</summary>
    public IReadOnlyList<BoundaryActivation> Boundary { get; }

    /// <summary>Data inputs the tail reads directly (e.g. labels): they come from each batch as before.</summary>
    public IReadOnlyList<string> PassThrough { get; }

    /// <summary>Nodes the prefix runs once per example.</summary>
    public int PrefixNodes { get; }

    /// <summary>Nodes each forward pass still runs.</summary>
    public int TailNodes { get; }

    /// <summary>The tail's training graph.</summary>
    public string TailGraphPath { get; }

    /// <summary>
    /// Splits and opens <paramref name="model"/>'s frozen prefix; null, with the
    /// <paramref name="reason"/> in words, when the graph has no prefix worth caching per example.
    /// </summary>
    public static FrozenPrefix? TryOpen(PreparedModel model, SessionSettings settings, out string reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        var training = OnnxModelFile.Load(model.GraphPath);
        var types = InferTypes(training, out reason);
        if (types is null) return null;
        // The split itself recomputes what no frozen weight went into (label indices, masks); other non-floating values cannot be fp32 rows either.
        var split = FrozenPrefixSplit.Create(training, model.Manifest.Tensors.Select(t => t.Name).ToList(),
            name => types.TryGetValue(name, out var meta) && !IsFloating(meta.ElementDataType), out reason);
        if (split is null) return null;

        var boundary = new List<BoundaryActivation>();
        var typed = new List<ValueInfoProto>();
        foreach (var name in split.Boundary)
        {
            if (!types.TryGetValue(name, out var meta))
            {
                reason = $"ONNX Runtime could not infer the type of '{name}'";
                return null;
            }
            var dims = meta.Dimensions;
            var shape = "[" + string.Join(", ", dims.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : meta.SymbolicDimensions[i] is { Length: > 0 } s ? s : "?")) + "]";
            if (meta.ElementDataType != TensorElementType.Float)
            {
                reason = $"the tail reads '{name}', a {meta.ElementDataType} activation (only fp32 rows are stored)";
                return null;
            }
            // [batch, fixed...] has one row per example; [batch, sequence, fixed...] one row per position of it.
            bool sequence = dims.Length >= 3 && dims[1] < 0;
            var fixedDims = dims.Skip(sequence ? 2 : 1).ToArray();
            if (dims.Length < 2 || dims[0] >= 0 || fixedDims.Any(d => d <= 0))
            {
                reason = $"the tail reads '{name}' of shape {shape}; only [batch, fixed sizes...] and [batch, sequence, fixed sizes...] activations can be stored per example";
                return null;
            }
            if (fixedDims.Aggregate(1L, (a, b) => a * b) > int.MaxValue / sizeof(float))
            {
                reason = $"'{name}' has more than {int.MaxValue / sizeof(float)} values per {(sequence ? "position" : "example")}";
                return null;
            }
            boundary.Add(new BoundaryActivation(name, sequence, fixedDims.Select(d => (long)d).ToArray()));
            // The leading axes keep the names shape inference gave them (fresh ones where it gave none): a decoder's rows are not its examples.
            typed.Add(GraphBuilder.ValueInfo(name, OnnxDataType.Float, dims.Select((d, i) => d >= 0 ? (object)(long)d
                : meta.SymbolicDimensions[i] is { Length: > 0 } symbol ? symbol : $"{name}_axis{i}").ToArray()));
        }
        split.Prefix.Graph.Output.Clear();
        split.Prefix.Graph.Output.AddRange(typed.Select(v => v.Clone()));

        var prefixPath = Path.Combine(model.Directory, PrefixFile);
        var tailPath = Path.Combine(model.Directory, TailFile);
        try
        {
            OnnxModelFile.Save(split.Prefix, prefixPath);
            OnnxModelFile.Save(split.Tail(typed), tailPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = $"cannot write the split graphs into '{model.Directory}': {e.Message}";
            return null;
        }
        using var options = settings.CreateOptions();
        InferenceSession session;
        try
        {
            session = new InferenceSession(prefixPath, options);
        }
        catch (OnnxRuntimeException e)
        {
            reason = $"ONNX Runtime could not load the prefix: {e.Message}";
            return null;
        }
        var trainable = model.Manifest.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var dataInputs = training.Graph.Input.Where(v => !trainable.Contains(v.Name)).ToDictionary(v => v.Name,
            v => v.Type?.TensorType?.Shape?.Dim.Select(d => d.HasDimParam && d.DimParam.Length > 0 ? d.DimParam : null).ToList() ?? [], StringComparer.Ordinal);
        return new FrozenPrefix(session, split, boundary, tailPath, dataInputs);
    }

    /// <summary>
    /// Element types and shapes of every value in <paramref name="training"/>, from ONNX Runtime's
    /// shape inference on a copy whose weights are declared but not loaded (as graph inputs), so the
    /// check costs milliseconds even for large models.
    /// </summary>
    private static Dictionary<string, NodeMetadata>? InferTypes(ModelProto training, out string reason)
    {
        var model = training.Clone();
        var graph = model.Graph;
        var declared = graph.Input.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer.ToList())
        {
            long elements = tensor.Dims.Aggregate(1L, (a, b) => a * b);
            bool external = tensor.DataLocation == TensorProto.Types.DataLocation.External;
            // Small integer tensors stay: shape inference reads their values (Reshape targets, axes).
            if (!external && !(OnnxDataType.IsTrainable(tensor.DataType) && elements > 16)) continue;
            graph.Initializer.Remove(tensor);
            if (declared.Add(tensor.Name)) graph.Input.Add(GraphBuilder.ValueInfo(tensor.Name, tensor.DataType, tensor.Dims.Cast<object>().ToArray()));
        }
        var listed = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var output in graph.Node.SelectMany(n => n.Output)) if (output.Length > 0 && listed.Add(output)) graph.Output.Add(new ValueInfoProto { Name = output });
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
            using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model), options);
            reason = "";
            return new Dictionary<string, NodeMetadata>(session.OutputMetadata, StringComparer.Ordinal);
        }
        catch (OnnxRuntimeException e)
        {
            reason = $"ONNX Runtime could not infer the graph's value types: {e.Message}";
            return null;
        }
    }

    private static bool IsFloating(TensorElementType type) =>
        type is TensorElementType.Float or TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Double;

    /// <summary>
    /// Runs the prefix on <paramref name="batch"/> (a batch for the whole training graph; inputs the
    /// prefix does not read are ignored) and returns each boundary activation's values and shape.
    /// </summary>
    public ActivationRows[] Run(TensorBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var names = new List<string>();
        var values = new List<OrtValue>();
        foreach (var (name, value) in batch.Values)
        {
            if (!_session.InputMetadata.ContainsKey(name)) continue;
            names.Add(name);
            values.Add(value);
        }
        var missing = _session.InputMetadata.Keys.Except(names).ToList();
        if (missing.Count > 0)
        {
            Throw.Bszo($"The batch lacks input(s) {string.Join(", ", missing.Select(m => $"'{m}'"))} of the frozen prefix.",
                string.Join(", ", _session.InputMetadata.Keys), string.Join(", ", batch.Values.Select(v => v.Name)));
        }
        using var results = _session.Run(_runOptions, names, values, _outputNames);
        var rows = new ActivationRows[Boundary.Count];
        for (int i = 0; i < Boundary.Count; i++)
        {
            rows[i] = new ActivationRows(results[i].GetTensorDataAsSpan<float>().ToArray(), results[i].GetTensorTypeAndShape().Shape);
        }
        return rows;
    }

    /// <summary>
    /// The symbolic name of axis <paramref name="axis"/> of the training graph's data input
    /// <paramref name="input"/> (e.g. "sequence"); null when that axis has a fixed size or no name.
    /// </summary>
    public string? SymbolicAxis(string input, int axis) =>
        _dataInputs.TryGetValue(input, out var dims) && axis < dims.Count ? dims[axis] : null;

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
