using Bszo.Onnx;

namespace Bszo.Ort.Graph;

/// <summary>Small in-place edits of ONNX graphs.</summary>
public static class GraphSurgery
{
    /// <summary>Renames a value everywhere it appears in <paramref name="graph"/> (not in subgraphs).</summary>
    public static void RenameValue(GraphProto graph, string from, string to)
    {
        ArgumentNullException.ThrowIfNull(graph);
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == from) node.Input[i] = to;
            for (int i = 0; i < node.Output.Count; i++) if (node.Output[i] == from) node.Output[i] = to;
        }
        foreach (var v in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo)) if (v.Name == from) v.Name = to;
        foreach (var t in graph.Initializer) if (t.Name == from) t.Name = to;
    }

    /// <summary>Every tensor in the model, including node attributes and subgraphs, with the graph that holds it.</summary>
    public static IEnumerable<TensorProto> AllTensors(GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        foreach (var t in graph.Initializer) yield return t;
        foreach (var node in graph.Node)
        {
            foreach (var a in node.Attribute)
            {
                if (a.T is not null) yield return a.T;
                foreach (var t in a.Tensors) yield return t;
                if (a.G is not null) foreach (var t in AllTensors(a.G)) yield return t;
                foreach (var g in a.Graphs) foreach (var t in AllTensors(g)) yield return t;
            }
        }
    }
}
