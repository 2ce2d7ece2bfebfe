using System.Buffers.Binary;
using Bszo.Models.Data;
using Bszo.Models.Tasks;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Bszo.Models.Adapters;

/// <summary>
/// Any ONNX model whose inputs are not token ids (images, tabular features, several inputs of any
/// names, types and ranks): a batch is rows of the NumPy arrays named after the graph's inputs, each
/// converted to the input's element type; the loss is the cross-entropy of the first output's class
/// logits against <c>label</c>, or the mean squared error of the output against <c>target</c>.
/// </summary>
/// <remarks>
/// A graph exported with a fixed batch size takes batches of exactly that size (<see cref="FixedBatchSize"/>).
/// Owns no native memory; the OrtValues of a batch belong to the batch.
/// </remarks>
public sealed class TensorAdapter : ModelAdapter
{
    /// <summary>The card kind this adapter serves.</summary>
    public const string KindName = "tensor";

    /// <summary>Card output role of the output that is trained.</summary>
    public const string OutputRole = "output";

    /// <summary>--loss values.</summary>
    public const string CrossEntropy = "cross-entropy", MeanSquaredError = "mse";

    private readonly IReadOnlyList<(string Name, int ElementType)> _inputs;

    private TensorAdapter(ModelCard card, IReadOnlyList<(string, int)> inputs, string output, bool regression) : base(card)
    {
        _inputs = inputs;
        Output = output;
        Regression = regression;
    }

    public override string Kind => KindName;

    /// <summary>The output that is trained.</summary>
    public string Output { get; }

    /// <summary>Whether the loss is the mean squared error (else cross-entropy over class logits).</summary>
    public bool Regression { get; }

    public override int? FixedBatchSize => Card.FixedBatch;

    /// <summary>Creates the adapter for a card of kind <c>tensor</c> whose loss is chosen.</summary>
    public static TensorAdapter Create(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        if (card.Kind != KindName) Throw.Bszo($"The model in '{card.Directory}' is a '{card.Kind}' model.", KindName, card.Kind);
        if (card.Loss is not (CrossEntropy or MeanSquaredError))
        {
            Throw.Bszo($"The tensor model '{card.Resolve(card.Model)}' needs a loss.", $"--loss {CrossEntropy} or --loss {MeanSquaredError}, or .npz data with a 'label' or 'target' array",
                card.Loss ?? "none", "give --loss, or --data FILE.npz holding 'label' (class indices) or 'target' (numbers shaped like the output).");
        }
        var graph = OnnxModelFile.Load(card.Resolve(card.Model)).Graph;
        var inputs = card.Inputs.Values
            .Select(name => (name, graph.Input.FirstOrDefault(i => i.Name == name)?.Type?.TensorType?.ElemType
                ?? Throw.Bszo<int>($"The model card names input '{name}', which '{card.Resolve(card.Model)}' does not have.", "an input of the graph", name)))
            .ToList();
        return new TensorAdapter(card, inputs, card.Outputs.GetValueOrDefault(OutputRole) ?? Throw.Bszo<string>("The tensor model's card names no output.", OutputRole, "none"),
            card.Loss == MeanSquaredError);
    }

    public override LossHead CreateLossHead() => Regression
        ? MeanSquaredErrorLossHead.Create(Output, TensorTask.TargetArray)
        : ClassificationLossHead.Create(Output, TensorTask.LabelArray);

    public override TensorBatch Collate(IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        if (FixedBatchSize is int fixedSize && examples.Count != fixedSize)
        {
            Throw.Bszo($"The graph '{Card.Resolve(Card.Model)}' takes batches of exactly {fixedSize} (fixed when it was exported).", $"{fixedSize} examples",
                $"{examples.Count}", "the batch sizes follow the graph by themselves; do not set --batch-size or --eval-batch-size for this model.");
        }
        var rows = examples.Select(e => e.Tensors ?? throw new ArgumentException("Tensor models train on rows of NumPy arrays.", nameof(examples))).ToList();
        var batch = new TensorBatch(examples.Count);
        try
        {
            foreach (var (name, type) in _inputs) batch.Add(name, Gather(rows, name, type));
            if (Regression) batch.Add(TensorTask.TargetArray, Gather(rows, TensorTask.TargetArray, OnnxDataType.Float));
            else batch.Add(TensorTask.LabelArray, examples.Select(e => (long)e.Label).ToArray(), examples.Count);
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    public override string? ClassLogitsOutput => Regression ? null : Output;

    public override int[] Predict(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples) => Regression
        ? throw new InvalidOperationException("A regression is scored by R², from its loss, not by predicted classes.")
        : PredictFromBatch(session, examples);

    /// <summary>The rows of array <paramref name="name"/> as one tensor [rows, ...] of ONNX element type <paramref name="type"/>.</summary>
    internal static OrtValue Gather(IReadOnlyList<TensorRow> rows, string name, int type)
    {
        var first = rows[0].Arrays[name];
        long width = first.RowLength;
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, OnnxDataType.ToOrt(type), [rows.Count, .. first.Shape[1..]]);
        try
        {
            var target = value.GetTensorMutableRawData();
            int size = OnnxDataType.ElementSize(type);
            for (int r = 0; r < rows.Count; r++)
            {
                var array = rows[r].Arrays[name];
                var destination = target.Slice((int)(r * width * size), (int)(width * size));
                if (SameBytes(array.Type, type))
                {
                    array.Data.AsSpan((int)(rows[r].Index * width * array.ElementSize), (int)(width * size)).CopyTo(destination);
                    continue;
                }
                for (long j = 0; j < width; j++) Write(destination.Slice((int)(j * size), size), type, array[rows[r].Index * width + j]);
            }
            return value;
        }
        catch
        {
            value.Dispose();
            throw;
        }
    }

    /// <summary>Whether a NumPy element type has the very bytes of an ONNX element type.</summary>
    internal static bool SameBytes(NpyType npy, int onnx) => (npy, onnx) switch
    {
        (NpyType.Float32, OnnxDataType.Float) or (NpyType.Float64, OnnxDataType.Double) or (NpyType.Float16, OnnxDataType.Float16)
            or (NpyType.Int64, OnnxDataType.Int64) or (NpyType.Int32, OnnxDataType.Int32) or (NpyType.Bool, OnnxDataType.Bool) => true,
        (NpyType.Int8, OnnxDataType.Int8) or (NpyType.UInt8, OnnxDataType.UInt8) or (NpyType.Int16, OnnxDataType.Int16) or (NpyType.UInt16, OnnxDataType.UInt16)
            or (NpyType.UInt32, OnnxDataType.UInt32) or (NpyType.UInt64, OnnxDataType.UInt64) => true,
        _ => false,
    };

    /// <summary>Element types a batch can be converted to (the loader refuses others by name).</summary>
    internal static bool CanHold(int onnx) => onnx is OnnxDataType.Float or OnnxDataType.Double or OnnxDataType.Float16 or OnnxDataType.Int64 or OnnxDataType.Int32
        or OnnxDataType.Bool or OnnxDataType.UInt8 or OnnxDataType.Int8 or OnnxDataType.UInt16 or OnnxDataType.Int16 or OnnxDataType.UInt32 or OnnxDataType.UInt64;

    private static void Write(Span<byte> slot, int type, double v)
    {
        switch (type)
        {
            case OnnxDataType.Float: BinaryPrimitives.WriteSingleLittleEndian(slot, (float)v); break;
            case OnnxDataType.Double: BinaryPrimitives.WriteDoubleLittleEndian(slot, v); break;
            case OnnxDataType.Float16: BinaryPrimitives.WriteHalfLittleEndian(slot, (Half)v); break;
            case OnnxDataType.Int64: BinaryPrimitives.WriteInt64LittleEndian(slot, (long)v); break;
            case OnnxDataType.Int32: BinaryPrimitives.WriteInt32LittleEndian(slot, (int)v); break;
            case OnnxDataType.UInt64: BinaryPrimitives.WriteUInt64LittleEndian(slot, (ulong)v); break;
            case OnnxDataType.UInt32: BinaryPrimitives.WriteUInt32LittleEndian(slot, (uint)v); break;
            case OnnxDataType.Int16: BinaryPrimitives.WriteInt16LittleEndian(slot, (short)v); break;
            case OnnxDataType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(slot, (ushort)v); break;
            case OnnxDataType.Int8: slot[0] = (byte)(sbyte)v; break;
            case OnnxDataType.Bool or OnnxDataType.UInt8: slot[0] = (byte)v; break;
            default: throw new InvalidOperationException($"ONNX element type {type} is not converted to.");
        }
    }
}
