using System.Globalization;
using System.Text;
using Bszo.Onnx;
using Bszo.Ort.Graph;

namespace Bszo.Models.Export;

/// <summary>
/// Writes a Triton Inference Server <c>config.pbtxt</c> for an ONNX model served by the
/// onnxruntime backend: the graph's inputs and outputs with their types and dimensions (symbolic
/// dimensions become -1), and no server-side batching (<c>max_batch_size: 0</c>), so the shapes
/// are exactly the model's.
/// </summary>
public static class TritonConfig
{
    /// <summary>Writes the configuration of <paramref name="model"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, string name, ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var initializers = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"name: \"{name}\"\n");
        text.Append("platform: \"onnxruntime_onnx\"\n");
        text.Append("max_batch_size: 0\n");
        Section(text, "input", model.Graph.Input.Where(v => !initializers.Contains(v.Name)));
        Section(text, "output", model.Graph.Output);
        AtomicFile.WriteAllText(path, text.ToString());
    }

    private static void Section(StringBuilder text, string kind, IEnumerable<ValueInfoProto> values)
    {
        var list = values.ToList();
        text.Append(kind).Append(" [\n");
        for (int i = 0; i < list.Count; i++)
        {
            var v = list[i];
            var tensor = v.Type?.TensorType;
            var dims = tensor?.Shape?.Dim.Select(d => d.HasDimValue ? d.DimValue.ToString(CultureInfo.InvariantCulture) : "-1") ?? [];
            text.Append(CultureInfo.InvariantCulture,
                $"  {{\n    name: \"{v.Name}\"\n    data_type: {TypeName(tensor?.ElemType ?? 0)}\n    dims: [ {string.Join(", ", dims)} ]\n  }}");
            text.Append(i + 1 < list.Count ? ",\n" : "\n");
        }
        text.Append("]\n");
    }

    private static string TypeName(int elementType) => (TensorProto.Types.DataType)elementType switch
    {
        TensorProto.Types.DataType.Float => "TYPE_FP32",
        TensorProto.Types.DataType.Float16 => "TYPE_FP16",
        TensorProto.Types.DataType.Bfloat16 => "TYPE_BF16",
        TensorProto.Types.DataType.Double => "TYPE_FP64",
        TensorProto.Types.DataType.Int64 => "TYPE_INT64",
        TensorProto.Types.DataType.Int32 => "TYPE_INT32",
        TensorProto.Types.DataType.Int16 => "TYPE_INT16",
        TensorProto.Types.DataType.Int8 => "TYPE_INT8",
        TensorProto.Types.DataType.Uint8 => "TYPE_UINT8",
        TensorProto.Types.DataType.Bool => "TYPE_BOOL",
        TensorProto.Types.DataType.String => "TYPE_STRING",
        _ => "TYPE_INVALID",
    };
}
