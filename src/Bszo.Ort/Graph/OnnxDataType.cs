using Bszo.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Bszo.Ort.Graph;

/// <summary>Facts about ONNX element types that the graph code needs.</summary>
public static class OnnxDataType
{
    public const int Float = (int)TensorProto.Types.DataType.Float;
    public const int Float16 = (int)TensorProto.Types.DataType.Float16;
    public const int BFloat16 = (int)TensorProto.Types.DataType.Bfloat16;
    public const int Double = (int)TensorProto.Types.DataType.Double;
    public const int Int64 = (int)TensorProto.Types.DataType.Int64;
    public const int Int32 = (int)TensorProto.Types.DataType.Int32;
    public const int Bool = (int)TensorProto.Types.DataType.Bool;
    public const int UInt64 = (int)TensorProto.Types.DataType.Uint64;
    public const int UInt32 = (int)TensorProto.Types.DataType.Uint32;
    public const int Int16 = (int)TensorProto.Types.DataType.Int16;
    public const int UInt16 = (int)TensorProto.Types.DataType.Uint16;
    public const int Int8 = (int)TensorProto.Types.DataType.Int8;
    public const int UInt8 = (int)TensorProto.Types.DataType.Uint8;

    /// <summary>Whether Bszo can train a tensor of this type (fp32 masters are kept for all of them).</summary>
    public static bool IsTrainable(int dataType) => dataType is Float or Float16 or BFloat16;

    /// <summary>Bytes per element, or 0 for types without a fixed size (strings, sub-byte types).</summary>
    public static int ElementSize(int dataType) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 4,
        TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64
            or TensorProto.Types.DataType.Complex64 => 8,
        TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Int16
            or TensorProto.Types.DataType.Uint16 => 2,
        TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool
            or TensorProto.Types.DataType.Float8E4M3Fn or TensorProto.Types.DataType.Float8E4M3Fnuz
            or TensorProto.Types.DataType.Float8E5M2 or TensorProto.Types.DataType.Float8E5M2Fnuz => 1,
        TensorProto.Types.DataType.Complex128 => 16,
        _ => 0,
    };

    /// <summary>The type's ONNX name, for messages.</summary>
    public static string Name(int dataType) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), dataType)
            ? ((TensorProto.Types.DataType)dataType).ToString().ToLowerInvariant()
            : $"type {dataType}";

    /// <summary>The matching ONNX Runtime element type.</summary>
    public static TensorElementType ToOrt(int dataType) => dataType switch
    {
        Float => TensorElementType.Float,
        Float16 => TensorElementType.Float16,
        BFloat16 => TensorElementType.BFloat16,
        Double => TensorElementType.Double,
        Int64 => TensorElementType.Int64,
        Int32 => TensorElementType.Int32,
        Bool => TensorElementType.Bool,
        UInt64 => TensorElementType.UInt64,
        UInt32 => TensorElementType.UInt32,
        Int16 => TensorElementType.Int16,
        UInt16 => TensorElementType.UInt16,
        Int8 => TensorElementType.Int8,
        UInt8 => TensorElementType.UInt8,
        _ => Throw.Bszo<TensorElementType>($"ONNX element type {Name(dataType)} has no ONNX Runtime mapping in Bszo."),
    };
}
