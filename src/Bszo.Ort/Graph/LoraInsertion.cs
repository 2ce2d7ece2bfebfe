using System.Runtime.InteropServices;
using Bszo.Onnx;
using Bszo.Ort.Perturbation;
using Google.Protobuf;

namespace Bszo.Ort.Graph;

/// <summary>
/// Rewrites a graph so that chosen MatMuls carry LoRA adapters (see <see cref="LoraOptions"/>):
/// <c>y = MatMul(x, W)</c> becomes <c>y = Add(MatMul(x, W), Mul(MatMul(MatMul(x, A), B), α/r))</c>,
/// with A and B added as initializers in W's element type (the prepare step then turns them into
/// trainable graph inputs). An adapter on some of W's column blocks (the query and value thirds of
/// a fused projection) multiplies by B widened with zero blocks, <c>Concat(B_q, 0, B_v)</c>. The new
/// nodes follow the original one, so the graph stays sorted, and the adapted output keeps its name,
/// so nothing downstream changes.
/// </summary>
internal static class LoraInsertion
{
    /// <summary>
    /// Inserts the adapters and returns them in the order their weights first appear.
    /// </summary>
    /// <param name="graph">The graph to rewrite.</param>
    /// <param name="options">Rank, α, target patterns, seed.</param>
    /// <param name="within">When given, only these weights may be adapted (the layers chosen to train).</param>
    public static List<LoraAdapter> Insert(GraphProto graph, LoraOptions options, IReadOnlySet<string>? within = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Rank < 1) Throw.Bszo("Invalid LoRA rank.", "an integer ≥ 1", options.Rank.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!(options.Alpha > 0) || !double.IsFinite(options.Alpha))
        {
            Throw.Bszo("Invalid LoRA alpha.", "a finite value > 0", options.Alpha.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var weights = EligibleWeights(graph);
        var names = WeightNames.Of(graph);
        var whole = NameGlob.Create(options.Targets);
        var fused = NameGlob.Create(options.FusedQueryValue);
        bool Known(TensorProto w, NameGlob glob) => names.GetValueOrDefault(w.Name, [w.Name]).Any(glob.Matches);
        foreach (var exact in whole.ExactNames.Concat(fused.ExactNames))
        {
            if (!weights.Any(w => names.GetValueOrDefault(w.Name, [w.Name]).Contains(exact)))
            {
                Throw.Bszo($"LoRA target '{exact}' cannot be adapted.", "a 2-D float initializer used only as the second input of MatMul nodes",
                    graph.Initializer.Any(t => t.Name == exact) ? "an initializer with another shape, type or use" : "no such initializer",
                    "LoRA adapts MatMul(x, W) only; weights used through Transpose or Gemm, or shared with other operators, are not adapted.");
            }
        }
        bool everything = options.Targets.Count == 0 && options.FusedQueryValue.Count == 0;
        var chosen = new List<(TensorProto Weight, IReadOnlyList<LoraColumns>? Columns)>();
        foreach (var w in weights)
        {
            if (within is not null && !within.Contains(w.Name)) continue;
            if (options.FusedQueryValue.Count > 0 && Known(w, fused) && w.Dims[1] % 3 == 0)
            {
                long third = w.Dims[1] / 3;
                chosen.Add((w, [new LoraColumns(0, third), new LoraColumns(2 * third, third)]));
            }
            else if (everything || (options.Targets.Count > 0 && Known(w, whole)))
            {
                chosen.Add((w, null));
            }
        }
        if (chosen.Count == 0)
        {
            var patterns = options.Targets.Concat(options.FusedQueryValue).ToList();
            Throw.Bszo("No MatMul weights to adapt with LoRA.", "a 2-D float initializer as the second input of a MatMul",
                (patterns.Count == 0 ? "none in the graph" : $"none matching {string.Join(" ", patterns)}") + (within is null ? "" : " in the layers chosen to train"),
                "check the LoRA target patterns (--lora-target); LoRA adapts MatMul(x, W) only.");
        }

        var builder = new GraphBuilder(graph);
        var adapters = new Dictionary<string, (LoraAdapter Adapter, string Scale)>(StringComparer.Ordinal);
        for (int index = 0; index < chosen.Count; index++)
        {
            var (w, columns) = chosen[index];
            long rows = w.Dims[0], outColumns = w.Dims[1];
            var a = builder.Fresh($"{w.Name}.lora_A");
            var b = builder.Fresh($"{w.Name}.lora_B");
            var scale = builder.Fresh($"{w.Name}.lora_scale");
            var adapter = new LoraAdapter(w.Name, a, b, options.Rank, options.Alpha, rows, outColumns, columns);
            var initial = new float[rows * options.Rank];
            GaussianNoise.Fill(SquaresRng.Key(options.Seed, index), 0, initial);
            float std = (float)(1 / Math.Sqrt(3.0 * rows));
            for (int i = 0; i < initial.Length; i++) initial[i] *= std;
            graph.Initializer.Add(Tensor(a, w.DataType, initial, [rows, options.Rank]));
            graph.Initializer.Add(Tensor(b, w.DataType, new float[options.Rank * adapter.BColumns], [options.Rank, adapter.BColumns]));
            graph.Initializer.Add(Tensor(scale, w.DataType, [(float)(options.Alpha / options.Rank)], []));
            adapters[w.Name] = (adapter, scale);
        }

        var nodes = graph.Node.ToList();
        graph.Node.Clear();
        var widened = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            graph.Node.Add(node);
            if (node.OpType != "MatMul" || !string.IsNullOrEmpty(node.Domain) || node.Input.Count != 2 || !adapters.TryGetValue(node.Input[1], out var entry)) continue;
            string output = node.Output[0];
            string baseOutput = builder.Fresh($"{output}_lora_base");
            node.Output[0] = baseOutput;
            if (!widened.TryGetValue(entry.Adapter.Weight, out var b)) widened[entry.Adapter.Weight] = b = WidenedB(graph, builder, entry.Adapter);
            string down = Add(graph, builder, "MatMul", [node.Input[0], entry.Adapter.A], $"{output}_lora_down");
            string up = Add(graph, builder, "MatMul", [down, b], $"{output}_lora_up");
            string scaled = Add(graph, builder, "Mul", [up, entry.Scale], $"{output}_lora_scaled");
            var sum = new NodeProto { OpType = "Add", Name = builder.Fresh($"{output}_lora_add") };
            sum.Input.AddRange([baseOutput, scaled]);
            sum.Output.Add(output);
            graph.Node.Add(sum);
        }
        return [.. adapters.Values.Select(v => v.Adapter)];
    }

    /// <summary>B as a [rank, Out] value: B itself, or its column blocks placed among zero blocks where the adapter leaves W's columns alone.</summary>
    private static string WidenedB(GraphProto graph, GraphBuilder builder, LoraAdapter adapter)
    {
        if (adapter.Columns is null) return adapter.B;
        int dataType = graph.Initializer.First(t => t.Name == adapter.Weight).DataType;
        var pieces = new List<string>();
        long at = 0, taken = 0;
        void Zeros(long columns)
        {
            if (columns <= 0) return;
            var zero = new TensorProto { DataType = dataType };
            zero.Dims.Add(1);
            zero.RawData = ByteString.CopyFrom(new byte[OnnxDataType.ElementSize(dataType)]);
            var node = new NodeProto { OpType = "ConstantOfShape", Name = builder.Fresh($"{adapter.B}_zeros_node") };
            node.Input.Add(builder.Constant($"{adapter.B}_zeros_shape", adapter.Rank, columns));
            node.Output.Add(builder.Fresh($"{adapter.B}_zeros"));
            node.Attribute.Add(GraphBuilder.Attribute("value", zero));
            graph.Node.Add(node);
            pieces.Add(node.Output[0]);
        }
        foreach (var block in adapter.Columns)
        {
            Zeros(block.Start - at);
            pieces.Add(Add(graph, builder, "Slice", [adapter.B, builder.Constant($"{adapter.B}_from", taken), builder.Constant($"{adapter.B}_to", taken + block.Count),
                builder.Constant($"{adapter.B}_axis", 1L)], $"{adapter.B}_block"));
            taken += block.Count;
            at = block.Start + block.Count;
        }
        Zeros(adapter.Out - at);
        var concat = new NodeProto { OpType = "Concat", Name = builder.Fresh($"{adapter.B}_widened_node") };
        concat.Input.AddRange(pieces);
        concat.Output.Add(builder.Fresh($"{adapter.B}_widened"));
        concat.Attribute.Add(GraphBuilder.Attribute("axis", 1L));
        graph.Node.Add(concat);
        return concat.Output[0];
    }

    /// <summary>2-D float initializers whose every use is as the second input of a default-domain MatMul, in initializer order.</summary>
    private static List<TensorProto> EligibleWeights(GraphProto graph)
    {
        var candidates = graph.Initializer
            .Where(t => OnnxDataType.IsTrainable(t.DataType) && t.Dims.Count == 2)
            .ToDictionary(t => t.Name, StringComparer.Ordinal);
        var usedByMatMul = new HashSet<string>(StringComparer.Ordinal);
        var otherUse = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (!candidates.ContainsKey(node.Input[i])) continue;
                if (node.OpType == "MatMul" && string.IsNullOrEmpty(node.Domain) && i == 1) usedByMatMul.Add(node.Input[i]);
                else otherUse.Add(node.Input[i]);
            }
        }
        foreach (var output in graph.Output) otherUse.Add(output.Name);
        foreach (var node in graph.Node) foreach (var attribute in node.Attribute) CollectSubgraphInputs(attribute, otherUse);
        // Initializer order keeps the adapter order, and so A's seeds, stable.
        return [.. graph.Initializer.Where(t => candidates.ContainsKey(t.Name) && usedByMatMul.Contains(t.Name) && !otherUse.Contains(t.Name))];
    }

    /// <summary>Names read inside If/Loop/Scan bodies: a weight used there cannot be merged consistently.</summary>
    private static void CollectSubgraphInputs(AttributeProto attribute, HashSet<string> names)
    {
        var graphs = attribute.G is null ? attribute.Graphs : attribute.Graphs.Append(attribute.G);
        foreach (var g in graphs)
        {
            foreach (var node in g.Node)
            {
                names.UnionWith(node.Input);
                foreach (var inner in node.Attribute) CollectSubgraphInputs(inner, names);
            }
        }
    }

    private static string Add(GraphProto graph, GraphBuilder builder, string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = builder.Fresh($"{output}_node") };
        node.Input.AddRange(inputs);
        string name = builder.Fresh(output);
        node.Output.Add(name);
        graph.Node.Add(node);
        return name;
    }

    private static TensorProto Tensor(string name, int dataType, float[] values, long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = dataType };
        tensor.Dims.AddRange(dims);
        if (dataType == OnnxDataType.Float)
        {
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        else
        {
            var bits = new ushort[values.Length];
            HalfBits.FromSingle(values, dataType, bits);
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(bits.AsSpan()));
        }
        return tensor;
    }
}
