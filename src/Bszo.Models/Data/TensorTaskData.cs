using System.Globalization;
using Bszo.Models.Adapters;
using Bszo.Models.Tasks;
using Bszo.Onnx;
using Bszo.Ort;
using Bszo.Ort.Graph;

namespace Bszo.Models.Data;

/// <summary>
/// Loads a tensor model's examples from <c>.npz</c> files: one array per graph input (same name; axis 0
/// indexes examples) plus <c>label</c> or <c>target</c>, each checked against the graph before anything
/// runs, then sampled into train/dev/test like every task's data.
/// </summary>
public static class TensorTaskData
{
    /// <summary>
    /// The loss the data asks for: "mse" when the training file holds a <c>target</c> array,
    /// "cross-entropy" when it holds <c>label</c>; null when it is no .npz file or holds neither or both.
    /// </summary>
    public static string? LossOf(DataSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var file = source.Data ?? source.Train;
        if (file is null || !IsNpz(file) || !File.Exists(file)) return null;
        var names = NpzFile.Names(file);
        bool label = names.Contains(TensorTask.LabelArray), target = names.Contains(TensorTask.TargetArray);
        return label == target ? null : label ? TensorAdapter.CrossEntropy : TensorAdapter.MeanSquaredError;
    }

    /// <summary>Whether <paramref name="path"/> names a NumPy archive.</summary>
    public static bool IsNpz(string path) => path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase);

    /// <summary>The task and its splits for the tensor model <paramref name="card"/>.</summary>
    public static (TensorTask Task, DataSplits Data) Load(ModelCard card, DataSource source, SamplingOptions sampling, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(card);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sampling);
        var trainFile = source.Data ?? source.Train;
        if (source.Dataset is not null || trainFile is null)
        {
            throw new BszoException(BszoException.Format($"The tensor model '{card.Resolve(card.Model)}' trains on NumPy arrays.", "--data FILE.npz, or --train FILE.npz [--dev FILE.npz] [--test FILE.npz]",
                source.Dataset is null ? "no data" : $"dataset {source.Dataset} (text)", "write the arrays with numpy.savez(path, <input name>=array, ..., label=classes or target=values)."));
        }
        var graph = OnnxModelFile.Load(card.Resolve(card.Model)).Graph;
        bool regression = card.Loss == TensorAdapter.MeanSquaredError;
        var output = graph.Output.First(o => o.Name == card.Outputs[TensorAdapter.OutputRole]);
        var outputDims = output.Type?.TensorType?.Shape?.Dim.ToList() ?? [];
        if (!regression && outputDims.Count != 2)
        {
            throw new BszoException(BszoException.Format($"Output '{output.Name}' of '{card.Resolve(card.Model)}' cannot be read as class logits.", "[batch, classes] for --loss cross-entropy",
                $"rank {outputDims.Count}", "use --loss mse with a 'target' array shaped like the output."));
        }
        int? classes = !regression && outputDims[1].HasDimValue ? (int)outputDims[1].DimValue : null;

        var files = new[] { trainFile, source.Dev, source.Test };
        var loaded = files.Select(f => f is null ? null : Read(f, card, graph, output, regression, classes)).ToArray();
        int classCount = classes ?? loaded.Where(l => l is not null).Max(l => l!.MaxLabel) + 1;
        var task = new TensorTask(regression ? TaskKind.Regression : TaskKind.Classification, classCount);
        var examples = loaded.Select(l => l is null ? null : task.Examples(l.Arrays, l.Rows)).ToArray();
        var splits = SplitSampler.Sample(examples[0]!, examples[1], examples[2], sampling, string.Join(" + ", files.Where(f => f is not null).Select(f => $"'{f}'")));
        return (task, card.FixedBatch is int batch ? Whole(splits, batch, log) : splits);
    }

    /// <summary>
    /// A graph with a fixed batch size runs whole batches only: dev and test are cut to multiples of
    /// it (training draws its batches from the whole training split).
    /// </summary>
    private static DataSplits Whole(DataSplits splits, int batch, Action<string>? log)
    {
        List<PromptedExample> Cut(IReadOnlyList<PromptedExample> split, string name, bool trim)
        {
            if (split.Count < batch)
            {
                throw new BszoException(BszoException.Format($"The {name} split has {split.Count} examples, fewer than the graph's fixed batch size.", $"at least {batch}",
                    $"{split.Count}", "give more data, or raise --num-train, --num-dev or --num-test."));
            }
            int kept = trim ? split.Count / batch * batch : split.Count;
            if (kept < split.Count) log?.Invoke($"the {name} split is cut from {split.Count} to {kept} examples, whole batches of {batch}");
            return split.Take(kept).ToList();
        }
        return new DataSplits(Cut(splits.Train, "train", trim: false), Cut(splits.Dev, "dev", trim: true), Cut(splits.Test, "test", trim: true));
    }

    private sealed record LoadedFile(IReadOnlyDictionary<string, NpyArray> Arrays, int Rows, int MaxLabel);

    /// <summary>Reads one .npz file and checks every array the model and the loss read.</summary>
    private static LoadedFile Read(string path, ModelCard card, GraphProto graph, ValueInfoProto output, bool regression, int? classes)
    {
        if (!IsNpz(path))
        {
            throw new BszoException(BszoException.Format($"'{path}' is not an .npz file.", "NumPy arrays in an .npz file for the tensor model", Path.GetExtension(path),
                "write the arrays with numpy.savez(path, <input name>=array, ...)."));
        }
        var arrays = NpzFile.Read(path);
        var wanted = card.Inputs.Values.Append(regression ? TensorTask.TargetArray : TensorTask.LabelArray).ToList();
        var missing = wanted.Where(n => !arrays.ContainsKey(n)).ToList();
        if (missing.Count > 0)
        {
            var inputs = graph.Input.Where(i => card.Inputs.ContainsValue(i.Name)).Select(i => $"{i.Name} {ShapeText.Of(i)} {OnnxDataType.Name(i.Type.TensorType.ElemType)}");
            throw new BszoException(BszoException.Format($"'{path}' lacks the array(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}.",
                $"one array per graph input ({string.Join("; ", inputs)}) and '{(regression ? TensorTask.TargetArray : TensorTask.LabelArray)}' ({(regression ? "numbers shaped like the output" : "class indices")})",
                string.Join(", ", arrays.Values.Select(Describe)),
                regression ? "a regression needs 'target'; for class indices in 'label' use --loss cross-entropy." : "class indices go in 'label'; for numbers in 'target' use --loss mse."));
        }
        int rows = -1;
        foreach (var name in wanted)
        {
            var array = arrays[name];
            if (array.Shape.Length == 0)
            {
                throw new BszoException(BszoException.Format($"Array '{name}' of '{path}' is a scalar.", "axis 0 indexing the examples", "shape ()", "save one row per example."));
            }
            if (rows >= 0 && array.Shape[0] != rows)
            {
                throw new BszoException(BszoException.Format($"The arrays of '{path}' disagree on the number of examples.", "the same length of axis 0 for every array",
                    string.Join(", ", wanted.Select(n => $"{n} {ShapeText.Of(arrays[n].Shape)}")), "save one row per example in every array."));
            }
            rows = (int)array.Shape[0];
        }
        foreach (var input in graph.Input.Where(i => card.Inputs.ContainsValue(i.Name))) CheckInput(path, arrays[input.Name], input);
        int maxLabel = regression ? 0 : CheckLabels(path, arrays[TensorTask.LabelArray], classes);
        if (regression) CheckTarget(path, arrays[TensorTask.TargetArray], output);
        return new LoadedFile(arrays, rows, maxLabel);
    }

    private static void CheckInput(string path, NpyArray array, ValueInfoProto input)
    {
        int type = input.Type.TensorType.ElemType;
        bool floating = type is OnnxDataType.Float or OnnxDataType.Double or OnnxDataType.Float16;
        if (!TensorAdapter.CanHold(type))
        {
            throw new BszoException(BszoException.Format($"Graph input '{input.Name}' has element type {OnnxDataType.Name(type)}, which Bszo does not feed from arrays.",
                "float, double, float16, bool or an integer type", OnnxDataType.Name(type), "export the model with such an input type."));
        }
        if (!array.IsInteger && !floating)
        {
            throw new BszoException(BszoException.Format($"Array '{array.Name}' of '{path}' holds {array.TypeName} values; graph input '{input.Name}' takes {OnnxDataType.Name(type)}.",
                $"integers for an integer input", array.TypeName, $"save the array as integers (array.astype(numpy.int64))."));
        }
        var dims = input.Type.TensorType.Shape?.Dim.ToList() ?? [];
        bool rankOk = dims.Count == array.Shape.Length;
        bool sizesOk = rankOk && dims.Skip(1).Select((d, i) => !d.HasDimValue || d.DimValue == array.Shape[i + 1]).All(ok => ok);
        if (!sizesOk)
        {
            throw new BszoException(BszoException.Format($"Array '{array.Name}' of '{path}' does not fit graph input '{input.Name}'.",
                $"{ShapeText.Of(input)} (axis 0: examples)", ShapeText.Of(array.Shape), "reshape the array to the input's shape, one row per example."));
        }
        if (!floating && array.IsInteger && array.Count > 0)
        {
            var (low, high) = Range(type);
            for (long i = 0; i < array.Count; i++)
            {
                double v = array[i];
                if (v < low || v > high)
                {
                    throw new BszoException(BszoException.Format($"Array '{array.Name}' of '{path}' holds {v.ToString(CultureInfo.InvariantCulture)} at element {i}, outside graph input '{input.Name}''s type.",
                        $"{OnnxDataType.Name(type)} values in [{low.ToString(CultureInfo.InvariantCulture)}, {high.ToString(CultureInfo.InvariantCulture)}]", v.ToString(CultureInfo.InvariantCulture), "check the array."));
                }
            }
        }
    }

    private static int CheckLabels(string path, NpyArray labels, int? classes)
    {
        if (!labels.IsInteger || labels.Type == NpyType.Bool)
        {
            throw new BszoException(BszoException.Format($"Array 'label' of '{path}' holds {labels.TypeName} values.", "integer class indices", labels.TypeName,
                "save class indices as integers (labels.astype(numpy.int64)); for numbers to regress on, name the array 'target' and use --loss mse."));
        }
        if (labels.RowLength != 1)
        {
            throw new BszoException(BszoException.Format($"Array 'label' of '{path}' has shape {ShapeText.Of(labels.Shape)}.", "[examples] (one class index per example)",
                ShapeText.Of(labels.Shape), "save one class index per example."));
        }
        int max = 0;
        for (long i = 0; i < labels.Count; i++)
        {
            double v = labels[i];
            if (v < 0 || classes is int c && v >= c)
            {
                throw new BszoException(BszoException.Format($"Label {v.ToString(CultureInfo.InvariantCulture)} of example {i} in '{path}' is out of range.",
                    classes is int n ? $"a class index in [0, {n}), the output's classes" : "a class index ≥ 0", v.ToString(CultureInfo.InvariantCulture),
                    "check the labels: the output's logits are the classes, numbered from 0."));
            }
            max = Math.Max(max, (int)v);
        }
        return max;
    }

    private static void CheckTarget(string path, NpyArray target, ValueInfoProto output)
    {
        var dims = output.Type?.TensorType?.Shape?.Dim.ToList() ?? [];
        var rowDims = dims.Skip(1).ToList();
        var rowShape = target.Shape.Skip(1).ToList();
        bool fits = rowDims.Count == rowShape.Count ? rowDims.Select((d, i) => !d.HasDimValue || d.DimValue == rowShape[i]).All(ok => ok)
            : rowDims.Count == 0 && rowShape is [1]; // [batch] outputs also take [examples, 1] targets
        if (!fits || target.Type == NpyType.Bool)
        {
            throw new BszoException(BszoException.Format($"Array 'target' of '{path}' does not fit output '{output.Name}'.", $"numbers shaped {ShapeText.Of(output)} (axis 0: examples)",
                $"{target.TypeName} {ShapeText.Of(target.Shape)}", "save one row per example, shaped like the output's row."));
        }
    }

    private static (double Low, double High) Range(int type) => type switch
    {
        OnnxDataType.Bool => (0, 1),
        OnnxDataType.UInt8 => (byte.MinValue, byte.MaxValue),
        OnnxDataType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        OnnxDataType.UInt16 => (ushort.MinValue, ushort.MaxValue),
        OnnxDataType.Int16 => (short.MinValue, short.MaxValue),
        OnnxDataType.UInt32 => (uint.MinValue, uint.MaxValue),
        OnnxDataType.Int32 => (int.MinValue, int.MaxValue),
        OnnxDataType.UInt64 => (0, ulong.MaxValue),
        _ => (long.MinValue, long.MaxValue),
    };

    private static string Describe(NpyArray a) => $"{a.Name} {ShapeText.Of(a.Shape)} {a.TypeName}";
}
