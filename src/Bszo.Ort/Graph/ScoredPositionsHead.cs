using Bszo.Onnx;

namespace Bszo.Ort.Graph;

/// <summary>
/// Graph surgery for <see cref="CandidateLossHead"/>: the language-model head (the MatMul that turns
/// hidden states into vocabulary logits, and any position-wise operations after it) is applied only
/// to the positions the loss reads, gathered by <c>target_mask</c>, so that no [rows, sequence,
/// vocabulary] tensor is computed in training.
/// </summary>
/// <remarks>
/// <para>Under MeZO's prompt protocols a row is scored at its candidate's few tokens: on OPT-125m with
/// 128-token rows the full head computes 128 × 50,272 logits per row (about 30% of a forward pass's
/// FLOPs and 25 MB of output per row) to read one or two of them.</para>
/// <para>The rewrite: hidden [rows, seq, d] → [rows·seq, d] → Gather(NonZero(target_mask)) → [P, d] →
/// the head's MatMul and position-wise tail → [P, vocab] → log p(target) per scored position → scattered
/// back into a zero [rows, seq] grid, which the candidate head masks and averages as before. The same
/// weights feed the same operations, so per-row scores equal the full head's up to the rounding of a
/// MatMul over fewer rows. The original logits output and the nodes only it needed are removed:
/// ONNX Runtime computes every node of a graph, requested or not.</para>
/// <para>Recognised heads: a MatMul whose result reaches the logits output through at most a chain of
/// Cast, Tanh, and Add/Sub/Mul/Div by a tensor of rank ≤ 1 (a bias or a scale), each feeding only the
/// next. Anything else keeps the full head.</para>
/// </remarks>
internal static class ScoredPositionsHead
{
    private static readonly HashSet<string> Unary = new(StringComparer.Ordinal) { "Cast", "Tanh" };
    private static readonly HashSet<string> Binary = new(StringComparer.Ordinal) { "Add", "Sub", "Mul", "Div" };

    /// <summary>
    /// Rewrites the head that produces <paramref name="logits"/> and returns the name of the fp32
    /// [rows, seq] tensor of log p(target) (0 where <paramref name="targetMask"/> is 0), or null when
    /// the head is not of a recognised form (the graph is then unchanged).
    /// </summary>
    public static string? Attach(GraphBuilder graph, string logits, string targetIds, string targetMask)
    {
        var chain = FindHead(graph.Graph, logits);
        if (chain is null) return null;
        var matMul = chain[0];

        // The scored positions, flattened: [P] indices into rows·seq.
        var flatMask = graph.Node("Reshape", [targetMask, graph.Constant("flat_shape", -1L)], "scored_mask_flat");
        var scored = graph.Node("Greater", [flatMask, graph.Constant("zero_f", 0f)], "scored");
        var nonZero = graph.Node("NonZero", [scored], "scored_positions_2d");
        var positions = graph.Node("Squeeze", [nonZero, graph.Constant("axis_0", 0L)], "scored_positions");

        // Hidden states of those positions only: [P, d].
        string hidden = matMul.Input[0];
        var hiddenShape = graph.Node("Shape", [hidden], "hidden_shape");
        var width = graph.Node("Slice", [hiddenShape, graph.Constant("last_start", -1L), graph.Constant("last_end", long.MaxValue)], "hidden_width");
        var flatHiddenShape = graph.Node("Concat", [graph.Constant("rows_times_seq", -1L), width], "hidden_flat_shape", ("axis", 0L));
        var flatHidden = graph.Node("Reshape", [hidden, flatHiddenShape], "hidden_flat");
        string x = graph.Node("Gather", [flatHidden, positions], "scored_hidden", ("axis", 0L));

        // The head itself, on [P, d]: the same MatMul and position-wise tail, fed the gathered rows.
        x = graph.Node("MatMul", [x, matMul.Input[1]], "scored_logits");
        foreach (var node in chain.Skip(1))
        {
            var copy = node.Clone();
            copy.Name = graph.Fresh($"{node.OpType}_scored");
            int fed = copy.Input.IndexOf(Producer(node, chain));
            copy.Input[fed] = x;
            copy.Output.Clear();
            x = graph.Fresh($"{node.Output[0]}_scored");
            copy.Output.Add(x);
            graph.Graph.Node.Add(copy);
        }
        var outputType = graph.Graph.Output.Single(o => o.Name == logits).Type?.TensorType?.ElemType ?? OnnxDataType.Float;
        if (outputType != OnnxDataType.Float) x = graph.Node("Cast", [x], "scored_logits_fp32", ("to", OnnxDataType.Float));

        // log p(target) = logit[target] − logsumexp(logits) at each scored position: [P].
        var flatTargets = graph.Node("Reshape", [targetIds, graph.Constant("flat_shape", -1L)], "target_ids_flat");
        var targets = graph.Node("Gather", [flatTargets, positions], "scored_targets", ("axis", 0L));
        var logProb = CandidateLossHead.TargetLogProb(graph, x, targets, "scored_target");

        // Back onto the [rows, seq] grid, zero where nothing is scored.
        var zeros = graph.Node("ConstantOfShape", [graph.Node("Shape", [flatMask], "grid_flat_shape")], "log_prob_zeros");
        var scattered = graph.Node("ScatterElements", [zeros, positions, logProb], "log_prob_flat", ("axis", 0L));
        var grid = graph.Node("Reshape", [scattered, graph.Node("Shape", [targetMask], "grid_shape")], "target_log_prob");

        // The full head is no longer needed by anything: remove its nodes and the logits output.
        foreach (var node in chain) graph.Graph.Node.Remove(node);
        graph.Graph.Output.Remove(graph.Graph.Output.Single(o => o.Name == logits));
        return grid;
    }

    /// <summary>
    /// The head's nodes in data-flow order (the MatMul first, the node producing <paramref name="logits"/>
    /// last), or null when the logits are not produced that way or are read by another node.
    /// </summary>
    private static List<NodeProto>? FindHead(GraphProto graph, string logits)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var o in node.Output) producers[o] = node;
            foreach (var i in node.Input) consumers[i] = consumers.GetValueOrDefault(i) + 1;
        }
        var constants = graph.Initializer.ToDictionary(t => t.Name, t => t.Dims.Count, StringComparer.Ordinal);
        foreach (var input in graph.Input) constants.TryAdd(input.Name, input.Type?.TensorType?.Shape?.Dim.Count ?? int.MaxValue);

        var chain = new List<NodeProto>();
        string value = logits;
        while (producers.TryGetValue(value, out var node) && node.Output.Count == 1)
        {
            // Every value of the chain feeds only the next node (the logits: nothing but the output).
            if (consumers.GetValueOrDefault(value) != (value == logits ? 0 : 1)) return null;
            chain.Insert(0, node);
            if (node.OpType == "MatMul") return chain;
            if (Unary.Contains(node.OpType) && node.Input.Count == 1)
            {
                value = node.Input[0];
                continue;
            }
            if (!Binary.Contains(node.OpType) || node.Input.Count != 2) return null;
            // One operand is the flow, the other a bias or scale broadcast along the last axis.
            bool firstIsSmall = constants.TryGetValue(node.Input[0], out int rank0) && rank0 <= 1;
            bool secondIsSmall = constants.TryGetValue(node.Input[1], out int rank1) && rank1 <= 1;
            if (secondIsSmall) value = node.Input[0];
            else if (firstIsSmall) value = node.Input[1];
            else return null;
        }
        return null;
    }

    /// <summary>The input of <paramref name="node"/> that the previous node of <paramref name="chain"/> produces.</summary>
    private static string Producer(NodeProto node, List<NodeProto> chain)
    {
        var previous = chain[chain.IndexOf(node) - 1];
        return node.Input.First(i => previous.Output.Contains(i));
    }
}
