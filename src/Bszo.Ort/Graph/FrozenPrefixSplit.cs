using Bszo.Onnx;

namespace Bszo.Ort.Graph;

/// <summary>
/// A training graph cut where its trainable weights first take part: the <b>frozen prefix</b>,
/// whose nodes read only data inputs and frozen weights, and the <b>trainable tail</b>, every node
/// that depends on a trainable weight, directly or through another tail node.
/// </summary>
/// <remarks>
/// <para>Why: a zero-order step runs the whole graph two or more times with perturbed weights, but
/// perturbations cannot change the prefix. When only a model's last layers train (a classifier head
/// over a frozen encoder), the prefix is almost all of the work and its output is the same on every
/// pass and every epoch, so it can be computed once per example and the forward passes reduced to
/// the tail.</para>
/// <para>The cut's <see cref="Boundary"/> is the set of prefix activations that tail nodes read.
/// Data inputs the tail reads directly (labels) are <see cref="PassThrough"/> inputs; frozen weights
/// the tail reads are copied into it. Neither graph is typed at the boundary: the caller learns the
/// boundary's types from the prefix (see <c>FrozenPrefix</c>) and declares them with
/// <see cref="Tail"/>.</para>
/// </remarks>
public sealed class FrozenPrefixSplit
{
    private readonly ModelProto _training;
    private readonly List<NodeProto> _tailNodes;
    private readonly HashSet<string> _trainable;

    private FrozenPrefixSplit(ModelProto training, ModelProto prefix, List<NodeProto> tailNodes, HashSet<string> trainable,
        List<string> boundary, List<string> passThrough)
    {
        _training = training;
        Prefix = prefix;
        _tailNodes = tailNodes;
        _trainable = trainable;
        Boundary = boundary;
        PassThrough = passThrough;
    }

    /// <summary>The prefix: the nodes the boundary needs, its outputs the boundary activations (untyped).</summary>
    public ModelProto Prefix { get; }

    /// <summary>Prefix activations the tail reads, in the order tail nodes first read them.</summary>
    public IReadOnlyList<string> Boundary { get; }

    /// <summary>Data inputs of the training graph that the tail reads directly.</summary>
    public IReadOnlyList<string> PassThrough { get; }

    /// <summary>Nodes in the prefix.</summary>
    public int PrefixNodes => Prefix.Graph.Node.Count;

    /// <summary>Nodes in the tail.</summary>
    public int TailNodes => _tailNodes.Count;

    /// <summary>
    /// Splits <paramref name="training"/> (a prepared training graph: trainable weights are graph
    /// inputs) at its trainable weights; null, with the <paramref name="reason"/>, when no useful cut exists.
    /// </summary>
    /// <param name="training">The training model; not modified (the parts copy what they need).</param>
    /// <param name="trainable">Names of the graph inputs that hold trainable weights.</param>
    /// <param name="recomputeInTail">
    /// Whether a would-be boundary activation is better recomputed by the tail than stored (e.g. one
    /// of a type that cannot be stored): its producer joins the tail, and that node's own inputs are
    /// considered in turn. Activations that no frozen weight went into (masks, label indices: plumbing
    /// derived from the data inputs) are always recomputed, and so are values that no data input went
    /// into (constants computed from frozen weights).
    /// </param>
    /// <param name="reason">Why there is no split, in words for a log line; empty on success.</param>
    public static FrozenPrefixSplit? Create(ModelProto training, IReadOnlyCollection<string> trainable, Func<string, bool> recomputeInTail, out string reason)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(trainable);
        ArgumentNullException.ThrowIfNull(recomputeInTail);
        var graph = training.Graph;
        if (graph.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0)))
        {
            reason = "the graph has control-flow subgraphs (If, Loop or Scan)";
            return null;
        }

        // Tail: nodes reachable from a trainable weight (ONNX keeps nodes in topological order).
        var trainableSet = trainable.ToHashSet(StringComparer.Ordinal);
        var inTail = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var dependent = new HashSet<string>(trainableSet, StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (!node.Input.Any(dependent.Contains)) continue;
            inTail.Add(node);
            foreach (var o in node.Output) if (o.Length > 0) dependent.Add(o);
        }

        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node) foreach (var o in node.Output) if (o.Length > 0) producer[o] = node;

        // Values computed from frozen weights (float initializers of two or more elements, as `prepare` counts weights) are worth storing;
        // everything else at the cut is plumbing derived from the data inputs (masks, label indices), cheaper to recompute.
        var weightDerived = graph.Initializer
            .Where(t => OnnxDataType.IsTrainable(t.DataType) && t.Dims.Aggregate(1L, (a, b) => a * b) >= 2)
            .Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (node.Input.Any(weightDerived.Contains)) foreach (var o in node.Output) if (o.Length > 0) weightDerived.Add(o);
        }
        // Values no data input went into (a transposed tied embedding read by an LM head) are the same for every example:
        // the tail computes them from its frozen initializers, and ONNX Runtime folds them once when it loads the tail.
        var dataDerived = graph.Input.Select(v => v.Name).Where(n => !trainableSet.Contains(n) && !initializers.Contains(n)).ToHashSet(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (node.Input.Any(dataDerived.Contains)) foreach (var o in node.Output) if (o.Length > 0) dataDerived.Add(o);
        }

        // The tail's outside reads; those to recompute pull their producers in, until none is left.
        List<string> boundary, passThrough;
        while (true)
        {
            var tailReads = graph.Node.Where(inTail.Contains).SelectMany(n => n.Input).Distinct()
                .Where(name => name.Length > 0 && !dependent.Contains(name) && !initializers.Contains(name)).ToList();
            passThrough = tailReads.Where(inputs.Contains).ToList();
            boundary = tailReads.Where(n => !inputs.Contains(n)).ToList();
            var pulled = boundary.Where(b => !weightDerived.Contains(b) || !dataDerived.Contains(b) || recomputeInTail(b)).Select(b => producer[b]).ToList();
            if (pulled.Count == 0) break;
            foreach (var node in pulled)
            {
                inTail.Add(node);
                foreach (var o in node.Output) if (o.Length > 0) dependent.Add(o);
            }
        }
        if (boundary.Count == 0)
        {
            reason = "the trainable weights take part from the first layer on";
            return null;
        }

        // Prefix: the nodes the boundary needs, walking back from it. Plumbing the tail recomputes (a mask) may be needed
        // by the prefix too, and then both compute it; nothing the boundary needs depends on a trainable weight.
        var needed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>(boundary);
        while (pending.Count > 0)
        {
            if (!producer.TryGetValue(pending.Pop(), out var node) || !needed.Add(node)) continue;
            foreach (var i in node.Input) if (i.Length > 0) pending.Push(i);
        }
        var prefixGraph = new GraphProto { Name = graph.Name + "_frozen_prefix" };
        prefixGraph.Node.AddRange(graph.Node.Where(needed.Contains).Select(n => n.Clone()));
        var prefixReads = prefixGraph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        prefixGraph.Input.AddRange(graph.Input.Where(v => prefixReads.Contains(v.Name)).Select(v => v.Clone()));
        prefixGraph.Initializer.AddRange(graph.Initializer.Where(t => prefixReads.Contains(t.Name)).Select(t => t.Clone()));
        prefixGraph.Output.AddRange(boundary.Select(b => new ValueInfoProto { Name = b }));
        var prefix = Shell(training, prefixGraph);

        reason = "";
        return new FrozenPrefixSplit(training, prefix, graph.Node.Where(inTail.Contains).ToList(), trainableSet, boundary, passThrough);
    }

    /// <summary>
    /// The tail as a model: inputs are the trainable weights, the pass-through data inputs and
    /// <paramref name="boundaryInputs"/> (one typed value per <see cref="Boundary"/> name); outputs
    /// are the training graph's outputs that the tail computes (the loss among them).
    /// </summary>
    public ModelProto Tail(IReadOnlyList<ValueInfoProto> boundaryInputs)
    {
        ArgumentNullException.ThrowIfNull(boundaryInputs);
        if (!boundaryInputs.Select(v => v.Name).SequenceEqual(Boundary))
        {
            throw new ArgumentException($"Expected typed values for {string.Join(", ", Boundary)}.", nameof(boundaryInputs));
        }
        var graph = _training.Graph;
        var tailGraph = new GraphProto { Name = graph.Name + "_trainable_tail" };
        tailGraph.Node.AddRange(_tailNodes.Select(n => n.Clone()));
        var reads = tailGraph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        var produced = tailGraph.Node.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
        tailGraph.Input.AddRange(graph.Input.Where(v => _trainable.Contains(v.Name) || PassThrough.Contains(v.Name)).Select(v => v.Clone()));
        tailGraph.Input.AddRange(boundaryInputs.Select(v => v.Clone()));
        tailGraph.Initializer.AddRange(graph.Initializer.Where(t => reads.Contains(t.Name)).Select(t => t.Clone()));
        tailGraph.Output.AddRange(graph.Output.Where(o => produced.Contains(o.Name)).Select(o => o.Clone()));
        tailGraph.ValueInfo.AddRange(graph.ValueInfo.Where(v => produced.Contains(v.Name)).Select(v => v.Clone()));
        return Shell(_training, tailGraph);
    }

    /// <summary>A model around <paramref name="graph"/> with <paramref name="source"/>'s IR version and opsets.</summary>
    private static ModelProto Shell(ModelProto source, GraphProto graph)
    {
        var model = new ModelProto
        {
            IrVersion = source.IrVersion,
            ProducerName = source.ProducerName,
            ProducerVersion = source.ProducerVersion,
            Graph = graph,
        };
        model.OpsetImport.AddRange(source.OpsetImport.Select(o => o.Clone()));
        return model;
    }
}
