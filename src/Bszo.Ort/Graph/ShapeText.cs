using System.Globalization;
using Bszo.Onnx;

namespace Bszo.Ort.Graph;

/// <summary>Shapes as messages show them: "[batch, 3, 224, 224]".</summary>
public static class ShapeText
{
    /// <summary>The shape of a graph value: fixed sizes, and symbolic axes by name when the name is short (exporters also name axes after the node that made them), else "?".</summary>
    public static string Of(ValueInfoProto value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return "[" + string.Join(", ", value.Type?.TensorType?.Shape?.Dim.Select(Dimension) ?? []) + "]";
    }

    /// <summary>A concrete shape.</summary>
    public static string Of(IEnumerable<long> shape) => "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    private static string Dimension(TensorShapeProto.Types.Dimension d) =>
        d.HasDimValue ? d.DimValue.ToString(CultureInfo.InvariantCulture) : d.DimParam is { Length: > 0 and <= 16 } name ? name : "?";
}
