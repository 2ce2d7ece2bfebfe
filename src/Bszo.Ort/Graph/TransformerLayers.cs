using System.Globalization;
using System.Text.RegularExpressions;
using Bszo.Onnx;

namespace Bszo.Ort.Graph;

/// <summary>
/// The repeated layers (transformer blocks) of a graph, and the weights that come after them (a
/// final norm, a pooler, a classification or LM head): what "train the top N layers" selects.
/// </summary>
/// <remarks>
/// <para><b>How layers are found.</b> A weight belongs to layer i when one of the names it is known
/// by (<see cref="WeightNames"/>: its own, its bias's, or its readers' node names) has a layer-index
/// segment: <c>layer.3</c>, <c>layers.3</c>, <c>layer_3</c>, <c>layer3</c>, <c>block.3</c>,
/// <c>blocks.3</c>, <c>blk.3</c> or <c>h.3</c> (any case; '.', '/' or '_' around it). This covers
/// Hugging Face exports (BERT's <c>encoder.layer.N</c>, GPT-2's <c>transformer.h.N</c>, Llama's and
/// OPT's <c>layers.N</c>), TensorFlow names (<c>Layer_N</c>) and Bszo's converters. Everything before
/// the index (e.g. <c>encoder.layer</c>) names the stack; a graph with two stacks (an encoder and a
/// decoder) is refused, as is one whose indices are not consecutive: choose weights with patterns then.</para>
/// <para><b>What comes after the stack.</b> Weights outside every layer that the loss depends on and
/// that do not feed any layer: the head, a final norm, a pooler. A tied embedding (read by the first
/// layer's input and by an LM head) feeds the stack, so it stays frozen.</para>
/// </remarks>
public sealed class TransformerLayers
{
    // A layer word and its index, not glued to a longer word or number on either side.
    private static readonly Regex LayerIndex = new(@"(?<![A-Za-z0-9])((?:layers?|blocks?|blk)[._/]?|h[._/])(\d+)(?![0-9])",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private TransformerLayers(string name, int firstIndex, List<List<string>> layers, List<string> after)
    {
        Name = name;
        FirstIndex = firstIndex;
        Layers = layers;
        After = after;
    }

    /// <summary>The stack's name: the path before the layer index, e.g. "encoder.layer" or "transformer.h".</summary>
    public string Name { get; }

    /// <summary>The index of the first layer in the names (usually 0).</summary>
    public int FirstIndex { get; }

    /// <summary>Each layer's weights, first layer first.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Layers { get; }

    /// <summary>The weights after the last layer that the loss depends on (head, final norm, pooler).</summary>
    public IReadOnlyList<string> After { get; }

    /// <summary>
    /// Finds the layers of <paramref name="graph"/>, counting only weights that the values
    /// <paramref name="outputs"/> depend on (the loss, for a training graph). Throws a
    /// <see cref="BszoException"/> naming <paramref name="source"/> when no single stack is found.
    /// </summary>
    public static TransformerLayers Find(GraphProto graph, IReadOnlyCollection<string> outputs, string source)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(outputs);
        var names = WeightNames.Of(graph);
        var live = Ancestors(graph, outputs);

        // Each weight's layer: the first of its names with a layer index.
        var indexed = new Dictionary<string, (string Stack, int Index)>(StringComparer.Ordinal);
        foreach (var (weight, known) in names)
        {
            foreach (var name in known)
            {
                var m = LayerIndex.Match(name);
                if (!m.Success) continue;
                string stack = (name[..m.Index] + m.Groups[1].Value).Replace('/', '.').ToLowerInvariant().Trim('.', '_');
                indexed[weight] = (stack, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
                break;
            }
        }
        if (indexed.Count == 0)
        {
            var examples = string.Join(", ", names.Keys.Take(4).Select(n => $"'{n}'"));
            Throw.Bszo($"Cannot find the transformer layers of '{source}'.",
                "weights whose names (or their biases' or readers' node names) carry a layer index, such as 'layer.3', 'layers.3', 'layer_3', 'h.3' or 'block.3'",
                $"none among its {names.Count} weights ({examples}{(names.Count > 4 ? ", ..." : "")})",
                "choose the tensors to train with --trainable patterns instead; `bszo prepare --list` shows the model's tensor names.");
        }

        // One stack: names of the same stack may be written with more or less of the path ("h" in node names, "transformer.h" in weights).
        var stacks = indexed.Values.Select(v => v.Stack).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ToList();
        var canonical = stacks.ToDictionary(stack => stack, stack => stacks.First(longer => longer == stack || longer.EndsWith("." + stack, StringComparison.Ordinal)),
            StringComparer.Ordinal);
        var distinct = canonical.Values.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count > 1)
        {
            Throw.Bszo($"'{source}' has several stacks of layers.", "one stack of transformer layers",
                string.Join(", ", distinct.Select(s => $"'{s}' ({indexed.Values.Where(v => canonical[v.Stack] == s).Select(v => v.Index).Distinct().Count()} layers)")),
                "choose the tensors to train with --trainable patterns (e.g. --trainable 'decoder.block.5.*').");
        }

        var indices = indexed.Values.Select(v => v.Index).Distinct().Order().ToList();
        if (indices[^1] - indices[0] + 1 != indices.Count)
        {
            Throw.Bszo($"The layers of '{source}' are not numbered consecutively.", $"indices {indices[0]} to {indices[^1]}",
                string.Join(", ", indices), "choose the tensors to train with --trainable patterns instead.");
        }
        var layers = indices.Select(i => indexed.Where(p => p.Value.Index == i && live.Contains(p.Key)).Select(p => p.Key).Order(StringComparer.Ordinal).ToList()).ToList();

        // After the stack: live weights outside it that no layer reads, directly or through other values.
        var stackWeights = indexed.Keys.ToHashSet(StringComparer.Ordinal);
        var feedsStack = Ancestors(graph, ComputingReaders(graph, stackWeights).SelectMany(n => n.Output).ToList());
        var after = names.Keys.Where(w => !stackWeights.Contains(w) && live.Contains(w) && !feedsStack.Contains(w)).ToList();
        return new TransformerLayers(distinct[0], indices[0], layers, after);
    }

    /// <summary>The weights of the last <paramref name="count"/> layers, then those after the stack (count 0: only those after it).</summary>
    public IReadOnlyList<string> Top(int count)
    {
        if (count < 0 || count > Layers.Count)
        {
            Throw.Bszo($"Cannot train the top {count} layers of '{Name}'.", $"a number from 0 to {Layers.Count}", count.ToString(CultureInfo.InvariantCulture),
                $"the model has {Layers.Count} layers; 0 trains only what follows them ({After.Count} tensors).");
        }
        return [.. Layers.Skip(Layers.Count - count).SelectMany(l => l), .. After];
    }

    /// <summary>The nodes that compute with <paramref name="weights"/>, looking through casts, transposes and reshapes of them.</summary>
    private static List<NodeProto> ComputingReaders(GraphProto graph, HashSet<string> weights)
    {
        var readers = new List<NodeProto>();
        var values = new HashSet<string>(weights, StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (!node.Input.Any(values.Contains)) continue;
            if (WeightNames.LookThrough.Contains(node.OpType) && node.Input.Count > 0 && values.Contains(node.Input[0])) values.UnionWith(node.Output);
            else readers.Add(node);
        }
        return readers;
    }

    /// <summary>Every value that <paramref name="values"/> are computed from (themselves included).</summary>
    private static HashSet<string> Ancestors(GraphProto graph, IReadOnlyCollection<string> values)
    {
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node) foreach (var output in node.Output) if (output.Length > 0) producer[output] = node;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(values);
        while (pending.Count > 0)
        {
            var value = pending.Pop();
            if (!seen.Add(value) || !producer.TryGetValue(value, out var node)) continue;
            foreach (var input in node.Input) if (input.Length > 0) pending.Push(input);
        }
        return seen;
    }
}
