using System.Security.Cryptography;
using Bszo.Onnx;

namespace Bszo.Ort.Graph;

/// <summary>Copies initializer bytes between models and external data files, aligned for the weight store.</summary>
public static class ExternalData
{
    /// <summary>
    /// Moves every tensor of <paramref name="graph"/> (subgraphs and node attributes included) whose data
    /// is external, or inline and larger than <paramref name="inlineLimitBytes"/>, into one data file at
    /// <paramref name="dataPath"/>, each 64-byte aligned; the tensors then refer to it by its file name.
    /// </summary>
    /// <param name="graph">The graph, edited in place.</param>
    /// <param name="sourceDirectory">The directory the graph's current external locations are relative to.</param>
    /// <param name="dataPath">The data file to write (atomically), beside the model that will be saved.</param>
    /// <param name="inlineLimitBytes">Inline tensors up to this size stay inline.</param>
    public static void Move(GraphProto graph, string sourceDirectory, string dataPath, long inlineLimitBytes)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var location = Path.GetFileName(dataPath);
        AtomicFile.Write(dataPath, stream =>
        {
            foreach (var tensor in GraphSurgery.AllTensors(graph).ToList())
            {
                bool external = tensor.DataLocation == TensorProto.Types.DataLocation.External;
                bool large = !external && tensor.RawData.Length > inlineLimitBytes;
                if (!external && !large) continue;
                var info = InitializerData.Describe(tensor, sourceDirectory);
                Pad(stream);
                long offset = stream.Position;
                CopyRaw(tensor, info, stream, hash: null);
                InitializerData.MakeExternal(tensor, location, offset, info.Length);
            }
        });
    }

    /// <summary>Pads <paramref name="stream"/> to the next multiple of <see cref="TrainingModelBuilder.Alignment"/>.</summary>
    internal static void Pad(Stream stream)
    {
        long pad = (TrainingModelBuilder.Alignment - stream.Position % TrainingModelBuilder.Alignment) % TrainingModelBuilder.Alignment;
        for (long i = 0; i < pad; i++) stream.WriteByte(0);
    }

    /// <summary>Copies a tensor's bytes (as stored: little-endian, its own element type) to <paramref name="destination"/>.</summary>
    internal static void CopyRaw(TensorProto tensor, InitializerInfo info, Stream destination, IncrementalHash? hash)
    {
        if (info.ExternalPath is not null)
        {
            using var source = new FileStream(info.ExternalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            source.Position = info.Offset;
            var buffer = new byte[1 << 20];
            long left = info.Length;
            while (left > 0)
            {
                int n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) Throw.Bszo($"External data for '{info.Name}' ended early in '{info.ExternalPath}'.", hint: "the file is truncated.");
                destination.Write(buffer, 0, n);
                hash?.AppendData(buffer, 0, n);
                left -= n;
            }
            return;
        }
        ReadOnlySpan<byte> bytes = tensor.RawData.Span;
        byte[]? converted = null;
        if (bytes.IsEmpty && info.ElementCount > 0)
        {
            converted = InlineToRaw(tensor, info);
            bytes = converted;
        }
        destination.Write(bytes);
        hash?.AppendData(bytes);
    }

    private static byte[] InlineToRaw(TensorProto tensor, InitializerInfo info)
    {
        int size = OnnxDataType.ElementSize(info.DataType);
        var raw = new byte[info.ElementCount * size];
        var span = raw.AsSpan();
        for (int i = 0; i < info.ElementCount; i++)
        {
            var slot = span.Slice(i * size, size);
            switch (info.DataType)
            {
                case OnnxDataType.Float: BitConverter.TryWriteBytes(slot, tensor.FloatData[i]); break;
                case OnnxDataType.Double: BitConverter.TryWriteBytes(slot, tensor.DoubleData[i]); break;
                case OnnxDataType.Int64: BitConverter.TryWriteBytes(slot, tensor.Int64Data[i]); break;
                case OnnxDataType.Float16 or OnnxDataType.BFloat16: BitConverter.TryWriteBytes(slot, (ushort)tensor.Int32Data[i]); break;
                case OnnxDataType.Int32: BitConverter.TryWriteBytes(slot, tensor.Int32Data[i]); break;
                default:
                    if (size == 1) slot[0] = (byte)tensor.Int32Data[i];
                    else Throw.Bszo($"Cannot copy inline data of '{info.Name}' ({OnnxDataType.Name(info.DataType)}).");
                    break;
            }
        }
        return raw;
    }
}
