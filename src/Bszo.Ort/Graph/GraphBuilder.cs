using System.Globalization;
using System.Runtime.InteropServices;
using Bszo.Onnx;
using Google.Protobuf;

namespace Bszo.Ort.Graph;

/// <summary>
/// Appends inputs, initializers, nodes and outputs to an ONNX graph with unique names. Used to
/// attach loss heads, to build converted models, and by tests to build small models.
/// </summary>
public sealed class GraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    /// <summary>Starts a new graph.</summary>
    public GraphBuilder(string name)
        : this(new GraphProto { Name = name })
    {
    }

    /// <summary>Edits an existing graph in place.</summary>
    public GraphBuilder(GraphProto graph)
    {
        Graph = graph ?? throw new ArgumentNullException(nameof(graph));
        foreach (var v in graph.Input) _names.Add(v.Name);
        foreach (var v in graph.Output) _names.Add(v.Name);
        foreach (var t in graph.Initializer) _names.Add(t.Name);
        foreach (var n in graph.Node)
        {
            foreach (var o in n.Output) _names.Add(o);
            if (n.HasName) _names.Add(n.Name);
        }
    }

    /// <summary>The graph being built.</summary>
    public GraphProto Graph { get; }

    /// <summary>A name not yet used in the graph, derived from <paramref name="prefix"/>.</summary>
    public string Fresh(string prefix)
    {
        string name = prefix;
        while (!_names.Add(name)) name = $"{prefix}_{++_counter}";
        return name;
    }

    /// <summary>Adds a graph input. Dimensions are <see cref="long"/> (fixed) or <see cref="string"/> (symbolic).</summary>
    public string Input(string name, int elementType, params object[] dims)
    {
        Graph.Input.Add(ValueInfo(Reserve(name), elementType, dims));
        return name;
    }

    /// <summary>Declares <paramref name="name"/> a graph output.</summary>
    public string Output(string name, int elementType, params object[] dims)
    {
        Graph.Output.Add(ValueInfo(name, elementType, dims));
        return name;
    }

    /// <summary>Adds an fp32 initializer stored inline.</summary>
    public string Initializer(string name, ReadOnlySpan<float> data, params long[] dims) =>
        AddInitializer(Reserve(name), OnnxDataType.Float, MemoryMarshal.AsBytes(data), dims);

    /// <summary>Adds an int64 initializer stored inline.</summary>
    public string Initializer(string name, ReadOnlySpan<long> data, params long[] dims) =>
        AddInitializer(Reserve(name), OnnxDataType.Int64, MemoryMarshal.AsBytes(data), dims);

    /// <summary>Adds a 1-D int64 constant (axes, shapes) with a fresh name.</summary>
    public string Constant(string prefix, params long[] values) =>
        AddInitializer(Fresh(prefix), OnnxDataType.Int64, MemoryMarshal.AsBytes(values.AsSpan()), [values.Length]);

    /// <summary>Adds a scalar int64 constant with a fresh name.</summary>
    public string Scalar(string prefix, long value) =>
        AddInitializer(Fresh(prefix), OnnxDataType.Int64, MemoryMarshal.AsBytes(new[] { value }.AsSpan()), []);

    /// <summary>Adds a scalar fp32 constant with a fresh name.</summary>
    public string Constant(string prefix, float value) =>
        AddInitializer(Fresh(prefix), OnnxDataType.Float, MemoryMarshal.AsBytes(new[] { value }.AsSpan()), []);

    /// <summary>Adds a node with one output named after <paramref name="output"/> (made unique).</summary>
    public string Node(string opType, string[] inputs, string output, params (string Name, object Value)[] attributes) =>
        Node(opType, inputs, [output], attributes)[0];

    /// <summary>Adds a node; returns the unique names given to its outputs.</summary>
    public string[] Node(string opType, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        var node = new NodeProto { OpType = opType, Name = Fresh($"{opType}_node") };
        node.Input.AddRange(inputs);
        var names = outputs.Select(Fresh).ToArray();
        node.Output.AddRange(names);
        foreach (var (attrName, value) in attributes) node.Attribute.Add(Attribute(attrName, value));
        Graph.Node.Add(node);
        return names;
    }

    /// <summary>Wraps the graph in a model with the given default-domain opset.</summary>
    public ModelProto Build(int opset = 17, long irVersion = 8)
    {
        var model = new ModelProto { IrVersion = irVersion, ProducerName = "bszo", Graph = Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    /// <summary>A value-info entry for a tensor.</summary>
    public static ValueInfoProto ValueInfo(string name, int elementType, params object[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                _ => new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, CultureInfo.InvariantCulture) },
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } },
        };
    }

    /// <summary>Builds an attribute from a CLR value (int/long, float, string, long[], float[], TensorProto, GraphProto).</summary>
    public static AttributeProto Attribute(string name, object value)
    {
        var a = new AttributeProto { Name = name };
        switch (value)
        {
            case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
            case long l: a.Type = AttributeProto.Types.AttributeType.Int; a.I = l; break;
            case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
            case double d: a.Type = AttributeProto.Types.AttributeType.Float; a.F = (float)d; break;
            case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
            case long[] ls: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls); break;
            case int[] iss: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(iss.Select(x => (long)x)); break;
            case float[] fs: a.Type = AttributeProto.Types.AttributeType.Floats; a.Floats.AddRange(fs); break;
            case TensorProto t: a.Type = AttributeProto.Types.AttributeType.Tensor; a.T = t; break;
            case GraphProto g: a.Type = AttributeProto.Types.AttributeType.Graph; a.G = g; break;
            default: throw new ArgumentException($"Unsupported attribute value type {value?.GetType().Name ?? "null"}.", nameof(value));
        }
        return a;
    }

    private string Reserve(string name)
    {
        if (!_names.Add(name)) Throw.Bszo($"Graph already has a value named '{name}'.");
        return name;
    }

    private string AddInitializer(string name, int dataType, ReadOnlySpan<byte> bytes, long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = dataType, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        Graph.Initializer.Add(tensor);
        return name;
    }
}
