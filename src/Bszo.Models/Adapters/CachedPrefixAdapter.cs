using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Bszo.Models.Adapters;

/// <summary>
/// Wraps an adapter so that its batches feed a <see cref="FrozenPrefix"/>'s trainable tail: each
/// example's prefix activations are computed once, stored, and copied into every later batch that
/// holds the example, together with the inner adapter's pass-through inputs (labels, masks).
/// </summary>
/// <remarks>
/// <para><b>What is stored.</b> Every tensor the tail reads from a batch (the boundary activations
/// and the pass-through inputs) is kept per example: the example's rows of it (one for an encoder; a
/// decoder's candidates are one row each). A tensor with a sequence axis, [rows, sequence, ...], is
/// cut to the example's own length, the last position that the inner adapter's
/// <see cref="ModelAdapter.SequenceMask"/> marks in any of its rows, so an example costs what its tokens
/// cost, not what the longest example of its prefix run cost. A batch pads each such tensor back to
/// its longest example with zeros, which is what the mask says: nothing there.</para>
/// <para><b>Determinism.</b> Rows are computed by <see cref="TryFill"/> a fixed number of examples per
/// prefix run, examples of similar prompt length together (stable order), so a run that fills the
/// same lists in the same order (a resumed run) gets bit-identical rows: padding, and therefore the
/// last bits of an activation, can depend on which examples share a batch.</para>
/// <para><b>Ownership.</b> The adapter borrows the prefix until <see cref="ReleasePrefix"/>; after that
/// it can only collate examples whose rows it already holds. It owns no native memory: each batch it
/// collates owns its values.</para>
/// </remarks>
public sealed class CachedPrefixAdapter : ModelAdapter
{
    private readonly ModelAdapter _inner;
    private readonly string _logits;
    private readonly Dictionary<PromptedExample, StoredExample> _stored = new(ReferenceEqualityComparer.Instance);
    private FrozenPrefix? _prefix;
    private List<StoredTensor>? _layout;

    private CachedPrefixAdapter(ModelAdapter inner, FrozenPrefix prefix, string logits)
        : base(inner.Card)
    {
        _inner = inner;
        _prefix = prefix;
        _logits = logits;
        Boundary = prefix.Boundary;
        PassThrough = prefix.PassThrough;
    }

    /// <summary>The wrapped adapter's kind.</summary>
    public override string Kind => _inner.Kind;

    /// <inheritdoc/>
    public override string? ClassLogitsOutput => _logits;

    /// <inheritdoc/>
    public override string? SequenceMask => _inner.SequenceMask;

    /// <summary>The activations each batch carries.</summary>
    public IReadOnlyList<BoundaryActivation> Boundary { get; }

    /// <summary>The inner adapter's inputs each batch carries unchanged.</summary>
    public IReadOnlyList<string> PassThrough { get; }

    /// <summary>Examples whose rows are stored.</summary>
    public int CachedExamples => _stored.Count;

    /// <summary>Bytes of stored rows (activations and pass-through inputs).</summary>
    public long CachedBytes { get; private set; }

    /// <summary>Bytes of stored boundary activations (what <see cref="TryMeasure"/> foretells).</summary>
    public long ActivationBytes { get; private set; }

    /// <summary>
    /// Wraps <paramref name="inner"/> for <paramref name="prefix"/>'s tail; null, with the
    /// <paramref name="reason"/>, when the inner adapter predicts through batches of its own, which
    /// the tail cannot take.
    /// </summary>
    public static CachedPrefixAdapter? Create(ModelAdapter inner, FrozenPrefix prefix, out string reason)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(prefix);
        if (inner.ClassLogitsOutput is not string logits)
        {
            reason = $"the {inner.Kind} adapter scores each answer in a batch of its own";
            return null;
        }
        if (prefix.Boundary.Any(b => b.Sequence) && inner.SequenceMask is null)
        {
            reason = $"the tail reads activations with a sequence axis, and the {inner.Kind} adapter names no attention mask to trim them by";
            return null;
        }
        reason = "";
        return new CachedPrefixAdapter(inner, prefix, logits);
    }

    public override LossHead CreateLossHead() => _inner.CreateLossHead();

    /// <summary>
    /// The bytes the boundary activations of <paramref name="examples"/> will take once stored, known
    /// without running the prefix: each example keeps (rows × its length) positions of a sequence
    /// activation, and the lengths come from the inner adapter's attention mask. False, with the
    /// <paramref name="reason"/>, when the examples' rows could not all be stored alike (e.g. examples
    /// with different numbers of candidates), which <see cref="TryFill"/> would find only part way.
    /// </summary>
    public bool TryMeasure(IReadOnlyList<PromptedExample> examples, int chunkSize, out long bytes, out string reason)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        long perPosition = Boundary.Where(b => b.Sequence).Sum(b => (long)b.RowLength) * sizeof(float);
        long perRow = Boundary.Where(b => !b.Sequence).Sum(b => (long)b.RowLength) * sizeof(float);
        bytes = 0;
        if (perPosition == 0)
        {
            bytes = examples.Count * perRow;
            reason = "";
            return true;
        }
        int? rowsPerExample = null;
        var lengths = new int[chunkSize];
        for (int start = 0; start < examples.Count; start += chunkSize)
        {
            int count = Math.Min(chunkSize, examples.Count - start);
            using var batch = _inner.Collate([.. examples.Skip(start).Take(count)]);
            if (!TryLengths(batch, count, lengths, out _, out int rows, out reason)) return false;
            if (rowsPerExample is int before && before != rows)
            {
                reason = $"the {_inner.Kind} adapter gives some examples {before} rows and others {rows} (e.g. different numbers of candidates)";
                return false;
            }
            rowsPerExample = rows;
            for (int i = 0; i < count; i++) bytes += rows * (lengths[i] * perPosition + perRow);
        }
        reason = "";
        return true;
    }

    /// <summary>
    /// Computes and stores the rows of the examples in <paramref name="examples"/> that have none yet,
    /// <paramref name="chunkSize"/> per prefix run; <paramref name="progress"/> receives (done, total).
    /// False, with the <paramref name="reason"/>, when the rows cannot be stored per example; rows
    /// stored until then stay.
    /// </summary>
    public bool TryFill(IReadOnlyList<PromptedExample> examples, int chunkSize, out string reason, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        var prefix = _prefix ?? throw new InvalidOperationException("The frozen prefix was released; no more rows can be computed.");
        // Similar lengths share a prefix run, so little of it is spent on padding (a stable order: reruns get the same chunks).
        var missing = examples.Where(e => !_stored.ContainsKey(e)).Distinct(ReferenceEqualityComparer.Instance).Cast<PromptedExample>()
            .OrderBy(e => e.Prompt.Length).ToList();
        for (int start = 0; start < missing.Count; start += chunkSize)
        {
            var chunk = missing.GetRange(start, Math.Min(chunkSize, missing.Count - start));
            using (var batch = _inner.Collate(chunk))
            {
                var activations = prefix.Run(batch);
                var tensors = new List<(StoredTensor Layout, ReadOnlyMemory<byte> Bytes, long[] Shape)>();
                for (int b = 0; b < Boundary.Count; b++)
                {
                    var layout = new StoredTensor(Boundary[b].Name, TensorElementType.Float, sizeof(float), Boundary[b].Sequence, [.. Boundary[b].Dimensions]);
                    tensors.Add((layout, System.Runtime.InteropServices.MemoryMarshal.AsBytes(activations[b].Values.AsSpan()).ToArray(), activations[b].Shape));
                }
                foreach (var name in PassThrough)
                {
                    var value = batch.Values.FirstOrDefault(v => v.Name == name).Value;
                    if (value is null)
                    {
                        reason = $"the {_inner.Kind} adapter's batches lack '{name}', which the tail reads";
                        return false;
                    }
                    var info = value.GetTensorTypeAndShape();
                    bool sequence = info.Shape.Length >= 2 && SequenceMask is string mask && prefix.SymbolicAxis(name, 1) is string axis && axis == prefix.SymbolicAxis(mask, 1);
                    var layout = new StoredTensor(name, info.ElementDataType, (int)(value.GetTensorMutableRawData().Length / Math.Max(1, info.ElementCount)),
                        sequence, info.Shape.Skip(sequence ? 2 : 1).ToArray());
                    tensors.Add((layout, value.GetTensorMutableRawData().ToArray(), info.Shape));
                }
                if (!TryStore(chunk, batch, tensors, out reason)) return false;
            }
            progress?.Invoke(Math.Min(start + chunkSize, missing.Count), missing.Count);
        }
        reason = "";
        return true;
    }

    /// <summary>Stops borrowing the prefix (so its owner can dispose it); stored rows stay usable.</summary>
    public void ReleasePrefix() => _prefix = null;

    /// <summary>The tail's inputs for <paramref name="examples"/>, assembled from their stored rows.</summary>
    public override TensorBatch Collate(IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        if (_prefix is not null && !TryFill(examples, examples.Count, out var reason)) throw new InvalidOperationException($"Cannot store the batch's frozen-prefix rows: {reason}.");
        var stored = new StoredExample[examples.Count];
        for (int i = 0; i < stored.Length; i++)
        {
            if (!_stored.TryGetValue(examples[i], out stored[i]!))
            {
                throw new InvalidOperationException($"Example {i} of the batch has no stored frozen-prefix activations (\"{examples[i].Prompt}\").");
            }
        }
        int positions = stored.Max(e => e.Positions);
        var batch = new TensorBatch(examples.Count);
        try
        {
            for (int t = 0; t < _layout!.Count; t++)
            {
                var layout = _layout[t];
                long rows = (long)layout.RowsPerExample * examples.Count;
                long[] shape = layout.Sequence ? [rows, positions, .. layout.Inner] : [rows, .. layout.Inner];
                var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, layout.Type, shape);
                batch.Add(layout.Name, value);
                var target = value.GetTensorMutableRawData();
                // Padding positions hold zeros: a mask says "nothing here", an activation there is never read.
                if (layout.Sequence) target.Clear();
                int rowBytes = layout.Sequence ? positions * layout.PositionBytes : layout.PositionBytes;
                for (int i = 0; i < stored.Length; i++)
                {
                    var source = stored[i].Tensors[t];
                    int sourceRowBytes = layout.Sequence ? stored[i].Positions * layout.PositionBytes : layout.PositionBytes;
                    for (int r = 0; r < layout.RowsPerExample; r++)
                    {
                        source.AsSpan(r * sourceRowBytes, sourceRowBytes).CopyTo(target.Slice((i * layout.RowsPerExample + r) * rowBytes));
                    }
                }
            }
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    /// <summary>The inner adapter reads the predictions: the tail computes the same output from the same batch layout.</summary>
    protected internal override int[] ReadPredictions(ReadOnlySpan<float> values, IReadOnlyList<long> shape, IReadOnlyList<PromptedExample> examples) =>
        _inner.ReadPredictions(values, shape, examples);

    public override int[] Predict(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples) => PredictFromBatch(session, examples);

    /// <summary>
    /// Splits one prefix run's tensors into per-example rows, each sequence tensor cut to the
    /// example's length; false when a tensor's rows do not divide among the examples or its layout
    /// differs from that of the rows already stored.
    /// </summary>
    private bool TryStore(List<PromptedExample> chunk, TensorBatch batch, List<(StoredTensor Layout, ReadOnlyMemory<byte> Bytes, long[] Shape)> tensors, out string reason)
    {
        int examples = chunk.Count;
        int[] lengths = new int[examples];
        long width = 0;
        if (tensors.Any(t => t.Layout.Sequence))
        {
            if (!TryLengths(batch, examples, lengths, out width, out _, out reason)) return false;
        }
        var layouts = new List<StoredTensor>();
        foreach (var (layout, _, shape) in tensors)
        {
            if (shape.Length == 0 || shape[0] % examples != 0)
            {
                reason = $"'{layout.Name}' has {(shape.Length == 0 ? "no rows" : $"{shape[0]} rows")} for {examples} examples";
                return false;
            }
            if (layout.Sequence && shape[1] != width)
            {
                reason = $"the sequence axis of '{layout.Name}' has {shape[1]} positions where '{SequenceMask}' has {width}";
                return false;
            }
            var complete = layout with { RowsPerExample = (int)(shape[0] / examples) };
            if (_layout is not null && !_layout[layouts.Count].SameLayout(complete))
            {
                reason = $"'{layout.Name}' has {complete.Describe()} per example in one batch and {_layout[layouts.Count].Describe()} in another " +
                         "(e.g. examples with different numbers of candidates)";
                return false;
            }
            layouts.Add(complete);
        }
        _layout ??= layouts;

        for (int i = 0; i < examples; i++)
        {
            var bytes = new byte[layouts.Count][];
            for (int t = 0; t < layouts.Count; t++)
            {
                var layout = layouts[t];
                var source = tensors[t].Bytes.Span;
                int sourceRowBytes = layout.Sequence ? (int)width * layout.PositionBytes : layout.PositionBytes;
                int keptRowBytes = layout.Sequence ? lengths[i] * layout.PositionBytes : layout.PositionBytes;
                bytes[t] = new byte[layout.RowsPerExample * keptRowBytes];
                for (int r = 0; r < layout.RowsPerExample; r++)
                {
                    source.Slice((i * layout.RowsPerExample + r) * sourceRowBytes, keptRowBytes).CopyTo(bytes[t].AsSpan(r * keptRowBytes));
                }
                CachedBytes += bytes[t].Length;
                if (t < Boundary.Count) ActivationBytes += bytes[t].Length;
            }
            _stored[chunk[i]] = new StoredExample(lengths[i], bytes);
        }
        reason = "";
        return true;
    }

    /// <summary>Each example's length: one past the last position its mask rows mark (at least 1); the batch's padded width; the mask's rows per example.</summary>
    private bool TryLengths(TensorBatch batch, int examples, int[] lengths, out long width, out int rowsPerExample, out string reason)
    {
        width = 0;
        rowsPerExample = 0;
        var mask = batch.Values.FirstOrDefault(v => v.Name == SequenceMask).Value;
        if (mask is null)
        {
            reason = $"the {_inner.Kind} adapter's batches lack its attention mask '{SequenceMask}'";
            return false;
        }
        var info = mask.GetTensorTypeAndShape();
        if (info.Shape.Length != 2 || info.Shape[0] % examples != 0)
        {
            reason = $"the attention mask '{SequenceMask}' has shape [{string.Join(", ", info.Shape)}], not [rows, sequence] with whole rows per example";
            return false;
        }
        width = info.Shape[1];
        rowsPerExample = (int)(info.Shape[0] / examples);
        var bytes = mask.GetTensorMutableRawData();
        int elementBytes = (int)(bytes.Length / Math.Max(1, info.ElementCount));
        int rowBytes = (int)width * elementBytes;
        for (int i = 0; i < examples; i++)
        {
            int length = 1;
            for (int r = 0; r < rowsPerExample; r++)
            {
                var row = bytes.Slice((i * rowsPerExample + r) * rowBytes, rowBytes);
                for (int p = length; p < width; p++)
                {
                    if (row.Slice(p * elementBytes, elementBytes).ContainsAnyExcept((byte)0)) length = p + 1;
                }
            }
            lengths[i] = length;
        }
        reason = "";
        return true;
    }

    /// <summary>
    /// How one tensor of the tail's inputs is stored: its element type, whether axis 1 is the
    /// sequence axis, its dimensions after the row (and sequence) axes, and its rows per example.
    /// </summary>
    private sealed record StoredTensor(string Name, TensorElementType Type, int ElementBytes, bool Sequence, long[] Inner)
    {
        public int RowsPerExample { get; init; }

        /// <summary>Bytes of one row, or of one position of a row when <see cref="Sequence"/>.</summary>
        public int PositionBytes { get; } = checked((int)(Inner.Aggregate(1L, (a, b) => a * b) * ElementBytes));

        public bool SameLayout(StoredTensor other) =>
            Name == other.Name && Type == other.Type && Sequence == other.Sequence && Inner.SequenceEqual(other.Inner) && RowsPerExample == other.RowsPerExample;

        public string Describe() => $"{RowsPerExample} row(s) of [{string.Join(", ", (Sequence ? ["sequence"] : Array.Empty<string>()).Concat(Inner.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))))}]";
    }

    /// <summary>What is kept for one example: its length (positions kept of each sequence tensor) and its bytes of every tensor, in layout order.</summary>
    private sealed record StoredExample(int Positions, byte[][] Tensors);
}
