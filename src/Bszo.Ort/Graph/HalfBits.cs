using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Bszo.Ort.Graph;

/// <summary>Conversions between fp32 and the 16-bit storage formats (IEEE fp16, bfloat16), round to nearest even.</summary>
public static class HalfBits
{
    /// <summary>Converts one 16-bit value of type <paramref name="dataType"/> to fp32.</summary>
    public static float ToSingle(ushort bits, int dataType) => dataType == OnnxDataType.BFloat16
        ? BitConverter.Int32BitsToSingle(bits << 16)
        : (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>Converts 16-bit values of type <paramref name="dataType"/> to fp32.</summary>
    public static void ToSingle(ReadOnlySpan<ushort> source, int dataType, Span<float> destination)
    {
        if (dataType == OnnxDataType.Float16)
        {
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(source), destination);
            return;
        }
        for (int i = 0; i < source.Length; i++) destination[i] = BitConverter.Int32BitsToSingle(source[i] << 16);
    }

    /// <summary>Rounds fp32 values to the 16-bit type <paramref name="dataType"/> (nearest even; NaN stays NaN).</summary>
    public static void FromSingle(ReadOnlySpan<float> source, int dataType, Span<ushort> destination)
    {
        if (dataType == OnnxDataType.Float16)
        {
            TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<ushort, Half>(destination));
            return;
        }
        for (int i = 0; i < source.Length; i++) destination[i] = ToBFloat16(source[i]);
    }

    /// <summary>fp32 → bfloat16 bits, round to nearest even.</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (ushort)((bits >> 16) | 0x40); // quiet NaN
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
