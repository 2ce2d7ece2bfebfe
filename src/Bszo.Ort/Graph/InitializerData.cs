using System.Runtime.InteropServices;
using Bszo.Onnx;

namespace Bszo.Ort.Graph;

/// <summary>Where one initializer's bytes live: inline in the model, or a range of an external file.</summary>
/// <param name="Name">Initializer name.</param>
/// <param name="DataType">ONNX element type.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="ExternalPath">Absolute path of the external data file, or null if the data is inline.</param>
/// <param name="Offset">Byte offset in the external file.</param>
/// <param name="Length">Byte length of the data.</param>
public sealed record InitializerInfo(string Name, int DataType, long[] Shape, string? ExternalPath, long Offset, long Length)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>Reads initializer bytes from inline fields or external data files, validating every range.</summary>
public static class InitializerData
{
    /// <summary>Describes an initializer and checks that its data exists and has the right size.</summary>
    /// <param name="tensor">The initializer.</param>
    /// <param name="modelDirectory">Directory of the model file; external locations are relative to it.</param>
    public static InitializerInfo Describe(TensorProto tensor, string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var shape = tensor.Dims.ToArray();
        int elementSize = OnnxDataType.ElementSize(tensor.DataType);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        long expected = elementSize > 0 ? count * elementSize : -1;

        if (tensor.DataLocation != TensorProto.Types.DataLocation.External)
        {
            return new InitializerInfo(tensor.Name, tensor.DataType, shape, null, 0, expected);
        }

        string? location = null;
        long offset = 0, length = -1;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = long.Parse(entry.Value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "length": length = long.Parse(entry.Value, System.Globalization.CultureInfo.InvariantCulture); break;
            }
        }
        if (location is null)
        {
            Throw.Bszo($"Initializer '{tensor.Name}' is marked external but names no file.",
                "an external_data entry 'location'", "none", "re-export the model; the file is malformed.");
        }
        if (Path.IsPathRooted(location) || location.Split('/', '\\').Contains(".."))
        {
            Throw.Bszo($"Initializer '{tensor.Name}' points outside the model directory: '{location}'.",
                "a relative path inside the model's directory", location,
                "ONNX Runtime rejects such paths too; move the data file next to the model.");
        }
        if (length < 0) length = expected;

        var path = Path.Combine(modelDirectory, location);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            Throw.Bszo($"External data file '{path}' for initializer '{tensor.Name}' does not exist.",
                $"{location} next to the model", "no such file",
                "copy the data file together with the .onnx file; its name is recorded inside the model and must not change.");
        }
        if (expected >= 0 && length != expected)
        {
            Throw.Bszo($"Initializer '{tensor.Name}' declares {length} bytes of external data.",
                $"{expected} bytes ({count} × {OnnxDataType.Name(tensor.DataType)})", $"{length} bytes",
                "the model and its data file disagree; re-export the model.");
        }
        if (offset < 0 || offset + length > file.Length)
        {
            Throw.Bszo($"External data for initializer '{tensor.Name}' lies beyond the end of '{path}'.",
                $"bytes [{offset}, {offset + length}) inside the file", $"a file of {file.Length} bytes",
                "the data file is truncated or belongs to another export; copy it again.");
        }
        return new InitializerInfo(tensor.Name, tensor.DataType, shape, Path.GetFullPath(path), offset, length);
    }

    /// <summary>
    /// Makes <paramref name="tensor"/> refer to <paramref name="length"/> bytes at <paramref name="offset"/>
    /// of the external data file <paramref name="location"/> (relative to the model), dropping any inline data.
    /// </summary>
    public static void MakeExternal(TensorProto tensor, string location, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.ClearRawData();
        tensor.FloatData.Clear();
        tensor.Int32Data.Clear();
        tensor.Int64Data.Clear();
        tensor.DoubleData.Clear();
        tensor.Uint64Data.Clear();
        tensor.ExternalData.Clear();
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    /// <summary>Reads an fp32, fp16 or bf16 initializer and converts it to fp32 into <paramref name="destination"/>.</summary>
    public static void ReadAsFloat(TensorProto tensor, InitializerInfo info, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(info);
        if (destination.Length != info.ElementCount)
        {
            Throw.Bszo($"Buffer for '{info.Name}' has the wrong size.", $"{info.ElementCount} elements", $"{destination.Length}");
        }

        if (info.ExternalPath is null && info.DataType == OnnxDataType.Float && tensor.FloatData.Count > 0)
        {
            CheckInlineCount(info, tensor.FloatData.Count);
            for (int i = 0; i < destination.Length; i++) destination[i] = tensor.FloatData[i];
            return;
        }
        if (info.ExternalPath is null && info.DataType is OnnxDataType.Float16 or OnnxDataType.BFloat16 && tensor.Int32Data.Count > 0)
        {
            // The ONNX spec stores 16-bit floats in int32_data, one value per entry.
            CheckInlineCount(info, tensor.Int32Data.Count);
            for (int i = 0; i < destination.Length; i++) destination[i] = HalfBits.ToSingle((ushort)tensor.Int32Data[i], info.DataType);
            return;
        }

        int elementSize = OnnxDataType.ElementSize(info.DataType);
        if (info.ExternalPath is null)
        {
            var raw = tensor.RawData.Span;
            if (raw.Length != info.ElementCount * elementSize)
            {
                Throw.Bszo($"Initializer '{info.Name}' has {raw.Length} bytes of inline data.",
                    $"{info.ElementCount * elementSize} bytes", $"{raw.Length} bytes", "the model file is malformed; re-export it.");
            }
            ConvertRaw(raw, info.DataType, destination);
            return;
        }

        using var stream = new FileStream(info.ExternalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        stream.Position = info.Offset;
        if (info.DataType == OnnxDataType.Float)
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(destination));
            if (!BitConverter.IsLittleEndian) Throw.Bszo("Big-endian hosts are not supported.");
            return;
        }
        const int chunk = 1 << 16;
        var buffer = new byte[chunk * elementSize];
        for (int done = 0; done < destination.Length; done += chunk)
        {
            int n = Math.Min(chunk, destination.Length - done);
            stream.ReadExactly(buffer, 0, n * elementSize);
            ConvertRaw(buffer.AsSpan(0, n * elementSize), info.DataType, destination.Slice(done, n));
        }
    }

    private static void CheckInlineCount(InitializerInfo info, int found)
    {
        if (found != info.ElementCount)
        {
            Throw.Bszo($"Initializer '{info.Name}' has {found} inline values.", $"{info.ElementCount}", $"{found}",
                "the model file is malformed; re-export it.");
        }
    }

    private static void ConvertRaw(ReadOnlySpan<byte> raw, int dataType, Span<float> destination)
    {
        switch (dataType)
        {
            case OnnxDataType.Float:
                MemoryMarshal.Cast<byte, float>(raw).CopyTo(destination);
                break;
            case OnnxDataType.Float16:
            case OnnxDataType.BFloat16:
                HalfBits.ToSingle(MemoryMarshal.Cast<byte, ushort>(raw), dataType, destination);
                break;
            default:
                Throw.Bszo($"Cannot read {OnnxDataType.Name(dataType)} data as float.",
                    "float, float16 or bfloat16", OnnxDataType.Name(dataType));
                break;
        }
    }
}
