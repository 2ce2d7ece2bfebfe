using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Onnx;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Cluster.Data;

/// <summary>
/// A directory of named example tensors that share their leading (example) dimension, one ONNX
/// <c>TensorProto</c> file per model input (<c>x.pb</c>, <c>labels.pb</c>, ...) and a small
/// <c>dataset.json</c> listing them. The format is the one ONNX test data uses, so any ONNX tool can
/// write it; each worker machine reads its own copy.
/// </summary>
/// <remarks>The whole dataset is held in managed memory; it is meant for tabular data and tests, not corpora.</remarks>
public sealed class TensorDataset
{
    /// <summary>Name of the listing file.</summary>
    public const string ListingFile = "dataset.json";

    private const string Format = "bszo-tensors/1";
    private readonly Column[] _columns;

    private TensorDataset(Column[] columns, int examples, string sha256)
    {
        _columns = columns;
        Examples = examples;
        Sha256 = sha256;
    }

    /// <summary>Number of examples.</summary>
    public int Examples { get; }

    /// <summary>SHA-256 over the listed tensors' names, types, shapes and bytes.</summary>
    public string Sha256 { get; }

    /// <summary>The tensors' names (the model inputs they feed).</summary>
    public IEnumerable<string> Names => _columns.Select(c => c.Name);

    /// <summary>Writes every value of <paramref name="examples"/> (fp32, int64, int32 or bool) into <paramref name="directory"/>.</summary>
    public static void Save(string directory, TensorBatch examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        Directory.CreateDirectory(directory);
        var names = new JsonArray();
        foreach (var (name, value) in examples.Values)
        {
            var info = value.GetTensorTypeAndShape();
            var proto = new TensorProto { Name = name, DataType = ToOnnx(info.ElementDataType, name) };
            proto.Dims.AddRange(info.Shape);
            if (info.Shape.Length == 0 || info.Shape[0] != examples.Examples)
            {
                Throw($"Tensor '{name}' does not have the batch's {examples.Examples} examples as its leading dimension.", $"[{examples.Examples}, ...]", $"[{string.Join(", ", info.Shape)}]");
            }
            proto.RawData = ByteString.CopyFrom(value.GetTensorMutableRawData());
            AtomicFile.Write(Path.Combine(directory, name + ".pb"), stream => proto.WriteTo(stream));
            names.Add(name);
        }
        var listing = new JsonObject { ["format"] = Format, ["examples"] = examples.Examples, ["tensors"] = names };
        AtomicFile.WriteAllText(Path.Combine(directory, ListingFile), listing.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads a dataset written by <see cref="Save"/> (or by any tool that writes the same files).</summary>
    public static TensorDataset Load(string directory)
    {
        var listingPath = Path.Combine(directory, ListingFile);
        if (!File.Exists(listingPath)) Throw($"Dataset listing '{listingPath}' does not exist.", hint: "point --data at a directory written by TensorDataset.Save.");
        JsonNode? listing;
        try
        {
            listing = JsonNode.Parse(File.ReadAllText(listingPath));
        }
        catch (JsonException e)
        {
            throw new BszoException(BszoException.Format($"'{listingPath}' is not valid JSON.", found: e.Message), e);
        }
        if ((string?)listing?["format"] != Format) Throw($"'{listingPath}' is not a dataset listing of a supported format.", Format, (string?)listing?["format"] ?? "none");
        int examples = (int?)listing!["examples"] ?? 0;
        var names = listing["tensors"]?.AsArray().Select(n => (string?)n ?? "").ToList() ?? [];
        if (examples <= 0 || names.Count == 0) Throw($"'{listingPath}' lists no examples or no tensors.");

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var columns = new List<Column>();
        foreach (var name in names)
        {
            var path = Path.Combine(directory, name + ".pb");
            if (!File.Exists(path)) Throw($"Dataset tensor file '{path}' does not exist.", hint: $"'{ListingFile}' lists it.");
            var proto = TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));
            var column = Column.From(proto, name, path, examples);
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{name}:{proto.DataType}:{string.Join(",", proto.Dims)};"));
            hash.AppendData(column.Bytes);
            columns.Add(column);
        }
        return new TensorDataset([.. columns], examples, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>The examples at <paramref name="indices"/>, in that order, as a new batch the caller owns.</summary>
    public TensorBatch Gather(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty) throw new ArgumentException("A batch needs at least one example.", nameof(indices));
        var batch = new TensorBatch(indices.Length);
        try
        {
            foreach (var c in _columns) c.AddTo(batch, indices);
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    private static int ToOnnx(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType type, string name) => type switch
    {
        Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float => OnnxDataType.Float,
        Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64 => OnnxDataType.Int64,
        Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int32 => OnnxDataType.Int32,
        Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Bool => OnnxDataType.Bool,
        _ => Throw<int>($"Tensor '{name}' has element type {type}.", "float, int64, int32 or bool", type.ToString()),
    };

    private static void Throw(string what, string? expected = null, string? found = null, string? hint = null) =>
        throw new BszoException(BszoException.Format(what, expected, found, hint));

    private static T Throw<T>(string what, string? expected = null, string? found = null) =>
        throw new BszoException(BszoException.Format(what, expected, found));

    /// <summary>One named tensor: raw little-endian bytes, rows of <see cref="RowBytes"/>.</summary>
    private sealed class Column
    {
        private Column(string name, int dataType, long[] shape, byte[] bytes)
        {
            Name = name;
            DataType = dataType;
            Shape = shape;
            Bytes = bytes;
            RowElements = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
            RowBytes = checked((int)(RowElements * OnnxDataType.ElementSize(dataType)));
        }

        public string Name { get; }

        public int DataType { get; }

        public long[] Shape { get; }

        public byte[] Bytes { get; }

        public long RowElements { get; }

        public int RowBytes { get; }

        public static Column From(TensorProto proto, string name, string path, int examples)
        {
            var shape = proto.Dims.ToArray();
            if (shape.Length == 0 || shape[0] != examples)
            {
                Throw($"Dataset tensor '{path}' has shape [{string.Join(", ", shape)}].", $"[{examples}, ...] ({examples} examples, as listed)", $"[{string.Join(", ", shape)}]");
            }
            if (proto.DataType is not (OnnxDataType.Float or OnnxDataType.Int64 or OnnxDataType.Int32 or OnnxDataType.Bool))
            {
                Throw($"Dataset tensor '{path}' has element type {OnnxDataType.Name(proto.DataType)}.", "float, int64, int32 or bool", OnnxDataType.Name(proto.DataType));
            }
            long elements = shape.Aggregate(1L, (a, b) => a * b);
            byte[] bytes = proto.RawData.Length > 0 ? proto.RawData.ToByteArray() : proto.DataType switch
            {
                OnnxDataType.Float => System.Runtime.InteropServices.MemoryMarshal.AsBytes<float>(proto.FloatData.ToArray()).ToArray(),
                OnnxDataType.Int64 => System.Runtime.InteropServices.MemoryMarshal.AsBytes<long>(proto.Int64Data.ToArray()).ToArray(),
                OnnxDataType.Int32 => System.Runtime.InteropServices.MemoryMarshal.AsBytes<int>(proto.Int32Data.ToArray()).ToArray(),
                _ => proto.Int32Data.Select(v => (byte)(v != 0 ? 1 : 0)).ToArray(),
            };
            if (bytes.LongLength != elements * OnnxDataType.ElementSize(proto.DataType))
            {
                Throw($"Dataset tensor '{path}' holds {bytes.LongLength} bytes.", $"{elements * OnnxDataType.ElementSize(proto.DataType)} bytes for shape [{string.Join(", ", shape)}]",
                    bytes.LongLength.ToString(CultureInfo.InvariantCulture), "the file is truncated or was written with another shape.");
            }
            return new Column(name, proto.DataType, shape, bytes);
        }

        public void AddTo(TensorBatch batch, ReadOnlySpan<int> indices)
        {
            var shape = (long[])Shape.Clone();
            shape[0] = indices.Length;
            var gathered = new byte[(long)RowBytes * indices.Length];
            for (int i = 0; i < indices.Length; i++)
            {
                Bytes.AsSpan(indices[i] * RowBytes, RowBytes).CopyTo(gathered.AsSpan(i * RowBytes));
            }
            switch (DataType)
            {
                case OnnxDataType.Float:
                    batch.Add(Name, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(gathered).ToArray(), shape);
                    break;
                case OnnxDataType.Int64:
                    batch.Add(Name, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(gathered).ToArray(), shape);
                    break;
                case OnnxDataType.Int32:
                    batch.Add(Name, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(gathered).ToArray(), shape);
                    break;
                default:
                    batch.Add(Name, gathered.Select(b => b != 0).ToArray(), shape);
                    break;
            }
        }
    }
}
