using System.Globalization;
using System.IO.Compression;
using System.Text;
using Bszo.Models.Data;

namespace Bszo.Tests.Support;

/// <summary>Writes .npz files (format 1.0 headers, little-endian, C order) from arrays read with <see cref="NpzFile"/>, so tests can derive broken variants of real data.</summary>
internal static class NpzWriter
{
    /// <summary>One array to write: its numpy dtype string ('&lt;f4'), shape and raw little-endian bytes.</summary>
    public sealed record Array(string Descr, long[] Shape, byte[] Data)
    {
        public static Array From(NpyArray a) => new(DescrOf(a.Type), a.Shape, a.Data);

        public static Array Float64(long[] shape, IEnumerable<double> values) => new("<f8", shape, values.SelectMany(BitConverter.GetBytes).ToArray());

        public static Array Int64(long[] shape, IEnumerable<long> values) => new("<i8", shape, values.SelectMany(BitConverter.GetBytes).ToArray());
    }

    public static string Write(string path, IReadOnlyDictionary<string, Array> arrays)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, a) in arrays)
        {
            using var stream = zip.CreateEntry(name + ".npy").Open();
            var shape = a.Shape.Length == 1 ? $"({a.Shape[0]},)" : $"({string.Join(", ", a.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))})";
            var header = $"{{'descr': '{a.Descr}', 'fortran_order': False, 'shape': {shape}, }}";
            header = header.PadRight(((header.Length + 11) / 64 + 1) * 64 - 11) + "\n";
            stream.Write([0x93, .. "NUMPY"u8, 1, 0]);
            stream.Write(BitConverter.GetBytes((ushort)header.Length));
            stream.Write(Encoding.ASCII.GetBytes(header));
            stream.Write(a.Data);
        }
        return path;
    }

    private static string DescrOf(NpyType type) => type switch
    {
        NpyType.Bool => "|b1",
        NpyType.Int8 => "|i1",
        NpyType.UInt8 => "|u1",
        NpyType.Int16 => "<i2",
        NpyType.UInt16 => "<u2",
        NpyType.Int32 => "<i4",
        NpyType.UInt32 => "<u4",
        NpyType.Int64 => "<i8",
        NpyType.UInt64 => "<u8",
        NpyType.Float16 => "<f2",
        NpyType.Float32 => "<f4",
        _ => "<f8",
    };
}
