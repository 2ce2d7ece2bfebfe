using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Bszo.Models.Adapters;

/// <summary>
/// Wraps an adapter so that its batches feed a <see cref="FrozenPrefix"/>'s trainable tail: each
/// example's prefix activations are computed once, stored, and copied into every later batch that
/// holds the example, together with the inner adapter's pass-through inputs (labels).
/// </summary>
/// <remarks>
/// <para>Rows are computed by <see cref="Fill"/> a fixed number of examples per prefix run, examples
/// of similar prompt length together (stable order), so a run that fills the same lists in the same
/// order (a resumed run) gets bit-identical rows: padding, and therefore the last bits of an
/// activation, can depend on which examples share a batch.</para>
/// <para>The pass-through inputs are stored per example too, when the inner adapter gives them one
/// row per example (labels [batch]): a step then assembles its batch from stored rows alone, with no
/// tokenizing. Batches whose stored rows disagree in shape are collated by the inner adapter.</para>
/// <para><b>Ownership.</b> The adapter borrows the prefix until <see cref="ReleasePrefix"/>; after that
/// it can only collate examples whose rows it already holds. It owns no native memory.</para>
/// </remarks>
public sealed class CachedPrefixAdapter : ModelAdapter
{
    private readonly ModelAdapter _inner;
    private readonly string _logits;
    private readonly Dictionary<PromptedExample, StoredExample> _stored = new(ReferenceEqualityComparer.Instance);
    private FrozenPrefix? _prefix;

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

    /// <summary>The activations each batch carries.</summary>
    public IReadOnlyList<BoundaryActivation> Boundary { get; }

    /// <summary>The inner adapter's inputs each batch carries unchanged.</summary>
    public IReadOnlyList<string> PassThrough { get; }

    /// <summary>Examples whose rows are stored.</summary>
    public int CachedExamples => _stored.Count;

    /// <summary>Bytes of stored activation rows.</summary>
    public long CachedBytes => _stored.Values.Sum(r => (long)r.Activations.Length * sizeof(float));

    /// <summary>
    /// Wraps <paramref name="inner"/> for <paramref name="prefix"/>'s tail; null, with the
    /// <paramref name="reason"/>, when the inner adapter predicts through batches of its own
    /// (candidate scoring), which the tail cannot take.
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
        reason = "";
        return new CachedPrefixAdapter(inner, prefix, logits);
    }

    public override LossHead CreateLossHead() => _inner.CreateLossHead();

    /// <summary>
    /// Computes and stores the rows of the examples in <paramref name="examples"/> that have none yet,
    /// <paramref name="chunkSize"/> per prefix run; <paramref name="progress"/> receives (done, total).
    /// </summary>
    public void Fill(IReadOnlyList<PromptedExample> examples, int chunkSize, Action<int, int>? progress = null)
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
            float[][] activations;
            InputRow[][]? inputs;
            using (var batch = _inner.Collate(chunk))
            {
                activations = prefix.Run(batch);
                inputs = PassThroughRows(batch, chunk.Count);
            }
            for (int i = 0; i < chunk.Count; i++)
            {
                var row = new float[prefix.RowLength];
                int at = 0;
                for (int b = 0; b < Boundary.Count; b++)
                {
                    int length = Boundary[b].RowLength;
                    activations[b].AsSpan(i * length, length).CopyTo(row.AsSpan(at));
                    at += length;
                }
                _stored[chunk[i]] = new StoredExample(row, inputs?[i]);
            }
            progress?.Invoke(Math.Min(start + chunkSize, missing.Count), missing.Count);
        }
    }

    /// <summary>Stops borrowing the prefix (so its owner can dispose it); stored rows stay usable.</summary>
    public void ReleasePrefix() => _prefix = null;

    /// <summary>The tail's inputs for <paramref name="examples"/>: stored activation rows plus the inner adapter's pass-through inputs.</summary>
    public override TensorBatch Collate(IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        if (_prefix is not null) Fill(examples, Math.Max(1, examples.Count));
        var stored = new StoredExample[examples.Count];
        for (int i = 0; i < stored.Length; i++)
        {
            if (!_stored.TryGetValue(examples[i], out stored[i]!))
            {
                throw new InvalidOperationException($"Example {i} of the batch has no stored frozen-prefix activations (\"{examples[i].Prompt}\").");
            }
        }
        var batch = new TensorBatch(examples.Count);
        try
        {
            if (!AddStoredInputs(batch, stored))
            {
                using var full = _inner.Collate(examples);
                foreach (var name in PassThrough) batch.Add(name, full.Take(name));
            }
            int at = 0;
            foreach (var activation in Boundary)
            {
                int length = activation.RowLength;
                var data = new float[examples.Count * length];
                for (int i = 0; i < stored.Length; i++) stored[i].Activations.AsSpan(at, length).CopyTo(data.AsSpan(i * length));
                batch.Add(activation.Name, data, [examples.Count, .. activation.Dimensions]);
                at += length;
            }
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Each example's row of every pass-through input of <paramref name="batch"/> ([example][input]);
    /// null when some input does not have one row per example.
    /// </summary>
    private InputRow[][]? PassThroughRows(TensorBatch batch, int examples)
    {
        var rows = new InputRow[examples][];
        for (int i = 0; i < rows.Length; i++) rows[i] = new InputRow[PassThrough.Count];
        for (int p = 0; p < PassThrough.Count; p++)
        {
            var value = batch.Values.FirstOrDefault(v => v.Name == PassThrough[p]).Value;
            if (value is null) return null;
            var info = value.GetTensorTypeAndShape();
            if (info.Shape.Length == 0 || info.Shape[0] != examples) return null;
            var bytes = value.GetTensorMutableRawData();
            int rowBytes = bytes.Length / examples;
            var suffix = info.Shape[1..];
            for (int i = 0; i < rows.Length; i++) rows[i][p] = new InputRow(info.ElementDataType, suffix, bytes.Slice(i * rowBytes, rowBytes).ToArray());
        }
        return rows;
    }

    /// <summary>Adds the pass-through inputs from stored rows; false (nothing added) when some example has none or shapes differ.</summary>
    private bool AddStoredInputs(TensorBatch batch, StoredExample[] stored)
    {
        if (stored.Any(e => e.Inputs is null)) return false;
        var rows = stored.Select(e => e.Inputs!).ToArray();
        for (int p = 0; p < PassThrough.Count; p++)
        {
            var first = rows[0][p];
            if (rows.Any(r => r[p].Type != first.Type || !r[p].Suffix.SequenceEqual(first.Suffix))) return false;
        }
        for (int p = 0; p < PassThrough.Count; p++)
        {
            var first = rows[0][p];
            var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, first.Type, [rows.Length, .. first.Suffix]);
            var target = value.GetTensorMutableRawData();
            for (int i = 0; i < rows.Length; i++) rows[i][p].Bytes.CopyTo(target[(i * first.Bytes.Length)..]);
            batch.Add(PassThrough[p], value);
        }
        return true;
    }

    /// <summary>What is kept for one example: its activations (every boundary value, concatenated) and its pass-through inputs, when those come one row per example.</summary>
    private sealed record StoredExample(float[] Activations, InputRow[]? Inputs);

    /// <summary>One example's slice of a pass-through input: its element type, shape without the batch axis, and bytes.</summary>
    private sealed record InputRow(TensorElementType Type, long[] Suffix, byte[] Bytes);

    /// <summary>The arg-max class of each example, read from the tail's logits.</summary>
    public override int[] Predict(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples) => PredictByArgMax(session, examples, _logits);
}
