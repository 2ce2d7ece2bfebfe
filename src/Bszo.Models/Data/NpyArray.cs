using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Bszo.Ort;

namespace Bszo.Models.Data;

/// <summary>The element types a NumPy array file may hold that Bszo reads.</summary>
public enum NpyType
{
    Bool,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float16,
    Float32,
    Float64,
}

/// <summary>
/// One NumPy array (a <c>.npy</c> file, or one entry of an <c>.npz</c>): its element type, shape and
/// values, kept as little-endian bytes in C (row-major) order whatever the file's byte order and layout.
/// </summary>
public sealed class NpyArray
{
    private NpyArray(string name, NpyType type, long[] shape, byte[] data)
    {
        Name = name;
        Type = type;
        Shape = shape;
        Data = data;
    }

    /// <summary>The array's name (the .npz entry without ".npy").</summary>
    public string Name { get; }

    public NpyType Type { get; }

    /// <summary>Dimensions; axis 0 indexes examples.</summary>
    public long[] Shape { get; }

    /// <summary>The values, little-endian, C order.</summary>
    public byte[] Data { get; }

    /// <summary>Elements in the whole array.</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes of one element.</summary>
    public int ElementSize => SizeOf(Type);

    /// <summary>Elements per row (per index of axis 0).</summary>
    public long RowLength => Shape.Length == 0 ? 1 : Shape.Skip(1).Aggregate(1L, (a, b) => a * b);

    /// <summary>Whether the type holds integers (or booleans).</summary>
    public bool IsInteger => Type is not (NpyType.Float16 or NpyType.Float32 or NpyType.Float64);

    /// <summary>The numpy name of the element type, for messages.</summary>
    public string TypeName => Type.ToString().ToLowerInvariant();

    /// <summary>Element <paramref name="index"/> as a double (exact for every type but 64-bit integers beyond 2^53).</summary>
    public double this[long index]
    {
        get
        {
            var b = Data.AsSpan((int)(index * ElementSize), ElementSize);
            return Type switch
            {
                NpyType.Bool => b[0] != 0 ? 1 : 0,
                NpyType.Int8 => (sbyte)b[0],
                NpyType.UInt8 => b[0],
                NpyType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(b),
                NpyType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(b),
                NpyType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(b),
                NpyType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(b),
                NpyType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(b),
                NpyType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(b),
                NpyType.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(b),
                NpyType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(b),
                _ => BinaryPrimitives.ReadDoubleLittleEndian(b),
            };
        }
    }

    /// <summary>Reads a .npy stream (format versions 1, 2 and 3). <paramref name="source"/> names it in errors.</summary>
    public static NpyArray Read(Stream stream, string name, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (bytes.Length < 10 || bytes[0] != 0x93 || !bytes.Slice(1, 5).SequenceEqual("NUMPY"u8))
        {
            throw Bad(source, "a NumPy array file (magic \\x93NUMPY)", "other bytes", "write it with numpy.save or numpy.savez.");
        }
        int major = bytes[6];
        int headerLength, offset;
        if (major == 1) (headerLength, offset) = (BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]), 10);
        else if (major is 2 or 3) (headerLength, offset) = ((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]), 12);
        else throw Bad(source, "format version 1, 2 or 3", $"version {major}", "write it with numpy.save.");
        if (offset + headerLength > bytes.Length) throw Bad(source, $"a header of {headerLength} bytes", $"a file of {bytes.Length} bytes", "the file is truncated.");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes.Slice(offset, headerLength));
        var (type, bigEndian) = ParseType(Field(header, "descr", source), source);
        bool fortran = Field(header, "fortran_order", source) == "True";
        var shape = ParseShape(Field(header, "shape", source), source);

        int size = SizeOf(type);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var body = bytes[(offset + headerLength)..];
        if (body.Length != count * size)
        {
            throw Bad(source, $"{count * size} bytes of data for shape ({string.Join(", ", shape)}) × {type.ToString().ToLowerInvariant()}",
                $"{body.Length} bytes", "the file is truncated or its header is wrong; write it again.");
        }
        var data = body.ToArray();
        if (bigEndian && size > 1) for (int i = 0; i < data.Length; i += size) data.AsSpan(i, size).Reverse();
        if (fortran && shape.Length > 1) data = ToRowMajor(data, shape, size);
        return new NpyArray(name, type, shape, data);
    }

    /// <summary>The element type and byte order of a descr such as '&lt;f4' or '|u1'.</summary>
    private static (NpyType, bool BigEndian) ParseType(string descr, string source)
    {
        var text = descr.Trim('\'', '"');
        if (text.Length < 2) throw Bad(source, "a dtype such as '<f4'", text, "store plain numeric arrays (no records, strings or objects).");
        char order = text[0];
        var code = order is '<' or '>' or '|' or '=' ? text[1..] : text;
        bool big = order == '>';
        NpyType? type = code switch
        {
            "b1" or "?" => NpyType.Bool,
            "i1" => NpyType.Int8,
            "u1" => NpyType.UInt8,
            "i2" => NpyType.Int16,
            "u2" => NpyType.UInt16,
            "i4" => NpyType.Int32,
            "u4" => NpyType.UInt32,
            "i8" => NpyType.Int64,
            "u8" => NpyType.UInt64,
            "f2" => NpyType.Float16,
            "f4" => NpyType.Float32,
            "f8" => NpyType.Float64,
            _ => null,
        };
        return type is NpyType t ? (t, big)
            : throw Bad(source, "bool, int8–64, uint8–64, float16, float32 or float64", $"dtype '{text}'",
                "convert the array to a numeric dtype (e.g. array.astype(numpy.float32)) before saving.");
    }

    private static long[] ParseShape(string text, string source)
    {
        var inner = text.Trim().TrimStart('(').TrimEnd(')');
        var parts = inner.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i].TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
            {
                throw Bad(source, "a shape tuple of integers", text, "write the file with numpy.save.");
            }
        }
        return shape;
    }

    /// <summary>One value of the header's Python dict literal ({'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }).</summary>
    private static string Field(string header, string key, string source)
    {
        var match = Regex.Match(header, $@"['""]{key}['""]\s*:\s*(\([^)]*\)|'[^']*'|""[^""]*""|True|False)");
        return match.Success ? match.Groups[1].Value : throw Bad(source, $"a header with '{key}'", header.Trim(), "write the file with numpy.save.");
    }

    /// <summary>Reorders column-major (Fortran) bytes into row-major order.</summary>
    private static byte[] ToRowMajor(byte[] data, long[] shape, int size)
    {
        var result = new byte[data.Length];
        long count = data.Length / size;
        var index = new long[shape.Length];
        for (long c = 0; c < count; c++)
        {
            // c walks the C order; its Fortran offset has the first axis varying fastest.
            long f = 0, stride = 1;
            for (int axis = 0; axis < shape.Length; axis++)
            {
                f += index[axis] * stride;
                stride *= shape[axis];
            }
            Buffer.BlockCopy(data, (int)(f * size), result, (int)(c * size), size);
            for (int axis = shape.Length - 1; axis >= 0; axis--)
            {
                if (++index[axis] < shape[axis]) break;
                index[axis] = 0;
            }
        }
        return result;
    }

    private static int SizeOf(NpyType type) => type switch
    {
        NpyType.Bool or NpyType.Int8 or NpyType.UInt8 => 1,
        NpyType.Int16 or NpyType.UInt16 or NpyType.Float16 => 2,
        NpyType.Int32 or NpyType.UInt32 or NpyType.Float32 => 4,
        _ => 8,
    };

    private static BszoException Bad(string source, string expected, string found, string hint) =>
        new(BszoException.Format($"'{source}' cannot be read as a NumPy array.", expected, found, hint));
}
