using System.Runtime.InteropServices;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>Reads saved weights into an existing <see cref="WeightStore"/>, so sessions bound to it see them at once.</summary>
public static class WeightFiles
{
    /// <summary>Overwrites the store's masters (and 16-bit runtime copies) from a weight file described by <paramref name="manifest"/>.</summary>
    public static void LoadInto(WeightStore store, WeightManifest manifest, string dataPath)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Tensors.Count != store.Tensors.Count
            || manifest.Tensors.Zip(store.Tensors).Any(p => p.First.Name != p.Second.Entry.Name || !p.First.Shape.SequenceEqual(p.Second.Entry.Shape)))
        {
            throw new BszoException(BszoException.Format($"Weights '{dataPath}' do not fit this model.",
                $"{store.Tensors.Count} tensors named as in the training model", $"{manifest.Tensors.Count} tensors",
                "the file belongs to another model or another set of trainable tensors."));
        }
        var file = new FileInfo(dataPath);
        if (!file.Exists) throw new BszoException(BszoException.Format($"Weight file '{dataPath}' does not exist."));
        using var stream = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var buffer = new byte[1 << 20];
        foreach (var entry in manifest.Tensors)
        {
            if (entry.Offset < 0 || entry.Offset + entry.FileBytes > file.Length)
            {
                throw new BszoException(BszoException.Format($"Weight file '{dataPath}' is too short for tensor '{entry.Name}'.",
                    $"bytes [{entry.Offset}, {entry.Offset + entry.FileBytes})", $"{file.Length} bytes", "the file is truncated."));
            }
            var master = store.Master(entry.Id);
            stream.Position = entry.Offset;
            if (entry.FileType == OnnxDataType.Float)
            {
                stream.ReadExactly(MemoryMarshal.AsBytes(master));
            }
            else
            {
                for (int done = 0; done < master.Length;)
                {
                    int n = Math.Min(buffer.Length / 2, master.Length - done);
                    stream.ReadExactly(buffer, 0, n * 2);
                    HalfBits.ToSingle(MemoryMarshal.Cast<byte, ushort>(buffer.AsSpan(0, n * 2)), entry.FileType, master.Slice(done, n));
                    done += n;
                }
            }
            store.SyncRuntimeCopy(entry.Id, 0, entry.ElementCount);
        }
    }
}
