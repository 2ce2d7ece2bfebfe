using Bszo.Onnx;
using Google.Protobuf;

namespace Bszo.Ort.Graph;

/// <summary>
/// The key/value-cache inputs of decoders exported for incremental generation (Optimum's default for
/// causal language models): <c>past_key_values.*</c> (or <c>past.*</c>) tensors and, in merged
/// decoders, the <c>use_cache_branch</c> flag. Training and scoring run whole sequences, so the cache
/// is always empty: every past tensor has zero positions and the flag is false (the no-cache branch).
/// </summary>
/// <remarks>
/// A past tensor's declared shape gives everything but its batch size: axis 0 is the batch, the one
/// other symbolic axis is the past sequence (zero here), and the remaining axes (heads, head size) are
/// fixed at export. The <c>present.*</c> outputs stay outputs; nothing reads them.
/// </remarks>
public static class CacheInputs
{
    /// <summary>The merged decoder's flag that selects the branch reading the cache.</summary>
    public const string UseCacheBranch = "use_cache_branch";

    /// <summary>Whether the graph input <paramref name="name"/> is part of the key/value cache.</summary>
    public static bool IsCacheInput(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name == UseCacheBranch
               || name.StartsWith("past_key_values", StringComparison.Ordinal)
               || name.StartsWith("past.", StringComparison.Ordinal);
    }

    /// <summary>
    /// The shape of the empty past tensor <paramref name="input"/> for a batch of <paramref name="batch"/>
    /// rows (-1: the batch axis is taken from the data at run time), or of the flag.
    /// </summary>
    public static long[] EmptyShape(ValueInfoProto input, long batch)
    {
        ArgumentNullException.ThrowIfNull(input);
        var dims = input.Type?.TensorType?.Shape?.Dim;
        if (input.Name == UseCacheBranch) return dims is null || dims.Count == 0 ? [] : dims.Select(d => d.HasDimValue ? d.DimValue : 1).ToArray();
        if (dims is null || dims.Count < 2)
        {
            Throw.Bszo($"Cache input '{input.Name}' has no usable shape.", "[batch, heads, past sequence, head size] or another shape with one symbolic sequence axis",
                dims is null ? "no shape" : $"rank {dims.Count}", "export the decoder without past key/values, or with their shapes declared.");
        }
        var symbolic = Enumerable.Range(1, dims.Count - 1).Where(a => !dims[a].HasDimValue).ToList();
        if (symbolic.Count != 1)
        {
            Throw.Bszo($"Cache input '{input.Name}' has {symbolic.Count} symbolic axes besides the batch.",
                "exactly one (the past sequence); heads and head size fixed at export",
                "[" + string.Join(", ", dims.Select(d => d.HasDimValue ? d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : d.DimParam)) + "]",
                "export the decoder without past key/values, or with fixed head counts.");
        }
        return dims.Select((d, a) => a == 0 ? (d.HasDimValue ? d.DimValue : batch) : a == symbolic[0] ? 0 : d.DimValue).ToArray();
    }

    /// <summary>
    /// Replaces the cache inputs of <paramref name="graph"/> by values computed in the graph: an empty
    /// past (batch size read from <paramref name="batchSource"/>, a [batch, …] data input) and a false
    /// <see cref="UseCacheBranch"/>. Returns the names replaced; a graph without cache inputs is left as it is.
    /// </summary>
    public static IReadOnlyList<string> FeedEmpty(GraphProto graph, string batchSource)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentException.ThrowIfNullOrWhiteSpace(batchSource);
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var cache = graph.Input.Where(i => IsCacheInput(i.Name) && !initializers.Contains(i.Name)).ToList();
        if (cache.Count == 0) return [];
        if (graph.Input.All(i => i.Name != batchSource))
        {
            Throw.Bszo($"The decoder has cache inputs but no input '{batchSource}'.", $"an input '{batchSource}' [batch, sequence]",
                string.Join(", ", graph.Input.Select(i => i.Name)));
        }
        var shapes = cache.ToDictionary(i => i.Name, i => EmptyShape(i, -1), StringComparer.Ordinal);
        foreach (var input in cache) graph.Input.Remove(input);

        var builder = new GraphBuilder(graph);
        string? batch = null;
        foreach (var input in cache)
        {
            int type = input.Type?.TensorType?.ElemType ?? OnnxDataType.Float;
            var shape = shapes[input.Name];
            if (input.Name == UseCacheBranch)
            {
                var flag = new TensorProto { Name = input.Name, DataType = type, RawData = ByteString.CopyFrom(new byte[OnnxDataType.ElementSize(type)]) };
                flag.Dims.AddRange(shape);
                graph.Initializer.Add(flag);
                continue;
            }
            string dims;
            if (shape[0] >= 0)
            {
                dims = builder.Constant($"{input.Name}_shape", shape);
            }
            else
            {
                batch ??= builder.Node("Gather", [builder.Node("Shape", [batchSource], "cache_batch_source_shape"), builder.Constant("axis_0_index", 0L)], "cache_batch");
                dims = builder.Node("Concat", [batch, builder.Constant($"{input.Name}_dims", shape[1..])], $"{input.Name}_shape", ("axis", 0));
            }
            var zero = new TensorProto { DataType = type, RawData = ByteString.CopyFrom(new byte[OnnxDataType.ElementSize(type)]) };
            zero.Dims.Add(1);
            var made = builder.Node("ConstantOfShape", [dims], input.Name, ("value", zero));
            if (made != input.Name) Throw.Bszo($"The graph already computes a value named '{input.Name}'.", "a cache input nothing else produces", made);
        }
        return cache.Select(i => i.Name).ToList();
    }
}
