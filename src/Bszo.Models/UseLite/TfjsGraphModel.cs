using System.Runtime.InteropServices;
using System.Text.Json;
using Bszo.Ort;

namespace Bszo.Models.UseLite;

/// <summary>One node of a TensorFlow.js graph model.</summary>
/// <param name="Name">Node name.</param>
/// <param name="Op">TensorFlow op type (e.g. "MatMul", "Const").</param>
/// <param name="Inputs">Input node names (a ":1" suffix selects a second output; "^" marks a control input).</param>
internal sealed record TfjsNode(string Name, string Op, IReadOnlyList<string> Inputs);

/// <summary>One weight of a TensorFlow.js graph model, as stored in its shards.</summary>
internal sealed record TfjsWeight(string Name, int[] Shape, string DType, float[]? Floats, int[]? Ints)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// Reads a TensorFlow.js graph model (<c>model.json</c>: <c>modelTopology</c> + <c>weightsManifest</c>,
/// and the binary shards it lists) so that a converter can inspect the graph and take its weights.
/// </summary>
/// <remarks>Only unquantized float32 and int32 weights are supported.</remarks>
internal sealed class TfjsGraphModel
{
    private TfjsGraphModel(Dictionary<string, TfjsNode> nodes, Dictionary<string, TfjsWeight> weights)
    {
        Nodes = nodes;
        Weights = weights;
    }

    /// <summary>Nodes by name.</summary>
    public IReadOnlyDictionary<string, TfjsNode> Nodes { get; }

    /// <summary>Weights (constant values) by node name.</summary>
    public IReadOnlyDictionary<string, TfjsWeight> Weights { get; }

    /// <summary>Loads <paramref name="modelJson"/> and its shards (paths relative to its directory).</summary>
    public static TfjsGraphModel Load(string modelJson)
    {
        if (!File.Exists(modelJson))
        {
            Throw.Bszo($"TensorFlow.js model '{modelJson}' does not exist.", "model.json of a TF.js graph model", "no such file",
                "the package download is incomplete; delete it from the Bszo cache and try again.");
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(modelJson))!;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(modelJson));
        var root = doc.RootElement;

        var nodes = new Dictionary<string, TfjsNode>(StringComparer.Ordinal);
        foreach (var n in root.GetProperty("modelTopology").GetProperty("node").EnumerateArray())
        {
            var inputs = n.TryGetProperty("input", out var inp) ? inp.EnumerateArray().Select(i => i.GetString()!).ToArray() : [];
            var node = new TfjsNode(n.GetProperty("name").GetString()!, n.GetProperty("op").GetString()!, inputs);
            nodes[node.Name] = node;
        }

        var weights = new Dictionary<string, TfjsWeight>(StringComparer.Ordinal);
        foreach (var group in root.GetProperty("weightsManifest").EnumerateArray())
        {
            // A group's shards are one byte stream, split into files.
            using var data = new MemoryStream();
            foreach (var p in group.GetProperty("paths").EnumerateArray())
            {
                var shard = Path.Combine(directory, p.GetString()!);
                if (!File.Exists(shard))
                {
                    Throw.Bszo($"Weight shard '{shard}' is missing.", "every shard listed in model.json", "no such file",
                        "the package download is incomplete; delete it from the Bszo cache and try again.");
                }
                using var f = File.OpenRead(shard);
                f.CopyTo(data);
            }
            var bytes = data.GetBuffer().AsSpan(0, (int)data.Length);
            long offset = 0;
            foreach (var w in group.GetProperty("weights").EnumerateArray())
            {
                var name = w.GetProperty("name").GetString()!;
                var dtype = w.GetProperty("dtype").GetString()!;
                var shape = w.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
                if (w.TryGetProperty("quantization", out _))
                {
                    Throw.Bszo($"Weight '{name}' is quantized.", "unquantized float32 weights", "a quantization entry",
                        "use the package version Bszo pins, whose weights are float32.");
                }
                long count = shape.Aggregate(1L, (a, b) => a * b);
                long length = count * 4;
                if (offset + length > bytes.Length)
                {
                    Throw.Bszo($"The shards end before weight '{name}'.", $"at least {offset + length} bytes", $"{bytes.Length} bytes",
                        "the package download is incomplete; delete it from the Bszo cache and try again.");
                }
                var slice = bytes.Slice((int)offset, (int)length);
                var weight = dtype switch
                {
                    "float32" => new TfjsWeight(name, shape, dtype, MemoryMarshal.Cast<byte, float>(slice).ToArray(), null),
                    "int32" => new TfjsWeight(name, shape, dtype, null, MemoryMarshal.Cast<byte, int>(slice).ToArray()),
                    _ => Throw.Bszo<TfjsWeight>($"Weight '{name}' has dtype {dtype}.", "float32 or int32", dtype),
                };
                weights[name] = weight;
                offset += length;
            }
            if (offset != bytes.Length)
            {
                Throw.Bszo("The weight shards do not match the manifest.", $"{offset} bytes", $"{bytes.Length} bytes",
                    "the package download is damaged; delete it from the Bszo cache and try again.");
            }
        }
        return new TfjsGraphModel(nodes, weights);
    }

    /// <summary>How many nodes of each op the graph has, most frequent first (for logs and checks).</summary>
    public IReadOnlyList<(string Op, int Count)> OpCounts() =>
        Nodes.Values.GroupBy(n => n.Op).Select(g => (g.Key, g.Count())).OrderByDescending(x => x.Item2).ThenBy(x => x.Key, StringComparer.Ordinal).ToList();
}
