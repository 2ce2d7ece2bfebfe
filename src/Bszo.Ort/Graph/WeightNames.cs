using Bszo.Onnx;

namespace Bszo.Ort.Graph;

/// <summary>
/// The names each weight of a graph is known by: its initializer name, the names of the nodes that
/// read it, and, for the weight of a MatMul, Gemm or Conv, the name of the bias added to its product.
/// </summary>
/// <remarks>
/// Why: exporters do not always name weights after their module. Older PyTorch exports give the
/// transposed weight of every <c>nn.Linear</c> a bare number ('927') and its MatMul a serial name
/// ('MatMul_34'), while the bias keeps the module path ('encoder.layer.0.attention.self.query.bias');
/// newer ones name the weight 'onnx::MatMul_927' and the node after the module
/// ('/encoder/layer.0/attention/self/query/MatMul'). Matching patterns against all these names finds
/// a weight by its module either way. Value-preserving operators between a weight and its use (Cast
/// from fp16 storage, Transpose, Reshape, ...) are looked through.
/// </remarks>
internal static class WeightNames
{
    /// <summary>Operators that pass a weight's values on unchanged in substance (a cast from fp16 storage, a transpose, a reshape).</summary>
    internal static readonly HashSet<string> LookThrough = new(StringComparer.Ordinal)
    {
        "Cast", "Transpose", "Reshape", "Unsqueeze", "Squeeze", "Identity", "Flatten", "DequantizeLinear",
    };

    private static readonly HashSet<string> Products = new(StringComparer.Ordinal) { "MatMul", "Gemm", "Conv", "FusedMatMul" };

    /// <summary>
    /// For every floating-point initializer of two or more elements (what `prepare` counts as a
    /// weight), its names: the initializer's own name first, then its bias's, then its readers'.
    /// </summary>
    public static Dictionary<string, List<string>> Of(GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        var readers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output) if (output.Length > 0) producer[output] = node;
            foreach (var input in node.Input.Distinct())
            {
                if (input.Length == 0) continue;
                if (!readers.TryGetValue(input, out var list)) readers[input] = list = [];
                list.Add(node);
            }
        }

        // The initializer a value is, looking back through value-preserving operators.
        string? InitializerBehind(string value)
        {
            for (int hops = 0; hops < 8; hops++)
            {
                if (initializers.ContainsKey(value)) return value;
                if (!producer.TryGetValue(value, out var node) || !LookThrough.Contains(node.OpType) || node.Input.Count == 0) return null;
                value = node.Input[0];
            }
            return null;
        }

        var names = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var weight in graph.Initializer)
        {
            if (!OnnxDataType.IsTrainable(weight.DataType) || weight.Dims.Aggregate(1L, (a, b) => a * b) < 2) continue;
            var biases = new List<string>();
            var nodes = new List<string>();
            var pending = new Queue<string>([weight.Name]);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (pending.Count > 0)
            {
                var value = pending.Dequeue();
                if (!seen.Add(value) || !readers.TryGetValue(value, out var list)) continue;
                foreach (var node in list)
                {
                    if (node.Name.Length > 0) nodes.Add(node.Name);
                    if (LookThrough.Contains(node.OpType) && node.Input.Count > 0 && node.Input[0] == value)
                    {
                        pending.Enqueue(node.Output[0]);
                        continue;
                    }
                    if (!Products.Contains(node.OpType)) continue;
                    if (node.OpType == "Gemm" && node.Input.Count > 2 && InitializerBehind(node.Input[2]) is string gemmBias) biases.Add(gemmBias);
                    foreach (var add in readers.GetValueOrDefault(node.Output[0]) ?? [])
                    {
                        if (add.OpType != "Add") continue;
                        foreach (var other in add.Input.Where(i => i != node.Output[0]))
                        {
                            if (InitializerBehind(other) is string bias && bias != weight.Name) biases.Add(bias);
                        }
                    }
                }
            }
            names[weight.Name] = [weight.Name, .. biases.Distinct(StringComparer.Ordinal), .. nodes.Distinct(StringComparer.Ordinal)];
        }
        return names;
    }
}
