using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Bszo.Ort.Graph;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Ort.Runtime;

/// <summary>One trainable tensor held by a <see cref="WeightStore"/>.</summary>
/// <param name="Entry">Its manifest entry.</param>
/// <param name="MasterOffset">Offset, in elements, of its fp32 master values in the store's slab.</param>
public sealed record StoredTensor(WeightEntry Entry, long MasterOffset)
{
    /// <summary>Number of elements.</summary>
    public long Count => Entry.ElementCount;

    /// <summary>True when the graph consumes a 16-bit copy rather than the fp32 master itself.</summary>
    public bool HasRuntimeCopy => Entry.StorageType != OnnxDataType.Float;
}

/// <summary>
/// Owns the trainable weights of one model in native memory and lends ONNX Runtime zero-copy views of them.
/// </summary>
/// <remarks>
/// <para><b>Memory.</b> All fp32 master values live in one 64-byte-aligned slab allocated with
/// <see cref="NativeMemory.AlignedAlloc"/>. For fp32 tensors the graph reads the master values
/// directly. For fp16/bf16 tensors a second slab holds the 16-bit copy the graph reads; it is
/// rewritten from the masters by every sweep (never updated by itself, so rounding never accumulates).</para>
/// <para><b>Ownership and lifetime.</b> The store owns both slabs and one <see cref="OrtValue"/> per
/// tensor (<see cref="Value"/>). The values are views: they do not own memory, but they must not be
/// used after the store is disposed. Dispose the store <i>last</i>: after every
/// <see cref="TrainingGraphSession"/> and <see cref="OrtIoBinding"/> that bound its values.</para>
/// <para><b>Threading.</b> Weights must not change while a forward pass reads them: ONNX Runtime takes
/// no snapshot, and a concurrent mutation gives torn results. Training steps are strictly serial.</para>
/// </remarks>
public sealed unsafe class WeightStore : IDisposable
{
    private readonly StoredTensor[] _tensors;
    private readonly OrtValue[] _values;
    private readonly Dictionary<string, int> _byName;
    private float* _master;
    private byte* _runtime;
    private readonly long[] _runtimeOffsets; // bytes into _runtime, -1 for fp32 tensors

    private WeightStore(WeightManifest manifest)
    {
        Manifest = manifest;
        var tensors = new List<StoredTensor>();
        long masterElements = 0, runtimeBytes = 0;
        _runtimeOffsets = new long[manifest.Tensors.Count];
        foreach (var entry in manifest.Tensors)
        {
            tensors.Add(new StoredTensor(entry, masterElements));
            masterElements += RoundUp(entry.ElementCount, PaddingElements);
            if (entry.StorageType == OnnxDataType.Float)
            {
                _runtimeOffsets[entry.Id] = -1;
            }
            else
            {
                _runtimeOffsets[entry.Id] = runtimeBytes;
                runtimeBytes += RoundUp(entry.ElementCount * 2, 64);
            }
        }
        _tensors = [.. tensors];
        MasterElements = masterElements;
        RuntimeCopyBytes = runtimeBytes;
        _master = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(masterElements, 16) * sizeof(float), 64);
        NativeMemory.Clear(_master, (nuint)Math.Max(masterElements, 16) * sizeof(float));
        if (runtimeBytes > 0) _runtime = (byte*)NativeMemory.AlignedAlloc((nuint)runtimeBytes, 64);
        _byName = _tensors.ToDictionary(t => t.Entry.Name, t => t.Entry.Id, StringComparer.Ordinal);

        _values = new OrtValue[_tensors.Length];
        foreach (var t in _tensors)
        {
            var entry = t.Entry;
            nint data = t.HasRuntimeCopy ? (nint)(_runtime + _runtimeOffsets[entry.Id]) : (nint)(_master + t.MasterOffset);
            long bytes = entry.ElementCount * OnnxDataType.ElementSize(entry.StorageType);
            _values[entry.Id] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance,
                OnnxDataType.ToOrt(entry.StorageType), entry.Shape, data, bytes);
        }
    }

    /// <summary>The manifest describing the tensors (names, shapes, storage types).</summary>
    public WeightManifest Manifest { get; }

    /// <summary>The tensors, indexed by id.</summary>
    public IReadOnlyList<StoredTensor> Tensors => _tensors;

    /// <summary>Total trainable elements.</summary>
    public long ElementCount => Manifest.ElementCount;

    /// <summary>
    /// Each tensor's masters are zero-padded to a multiple of this many elements: one Rademacher word,
    /// two Gaussian groups. Device copies (<see cref="Device.DeviceWeightStore"/>) are padded the same way
    /// and swept in whole words.
    /// </summary>
    public const int PaddingElements = 32;

    /// <summary>Elements in the master slab (each tensor padded to a multiple of <see cref="PaddingElements"/>).</summary>
    public long MasterElements { get; }

    /// <summary>Bytes of 16-bit runtime copies (0 for an all-fp32 model).</summary>
    public long RuntimeCopyBytes { get; }

    /// <summary>Bytes of native memory the store holds.</summary>
    public long NativeBytes => MasterElements * sizeof(float) + RuntimeCopyBytes;

    /// <summary>Loads the base weights of a prepared model.</summary>
    public static WeightStore Load(PreparedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Load(model.Manifest, model.DataPath);
    }

    /// <summary>Loads weights described by <paramref name="manifest"/> from <paramref name="dataPath"/>.</summary>
    public static WeightStore Load(WeightManifest manifest, string dataPath)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var store = new WeightStore(manifest);
        try
        {
            store.Read(manifest, dataPath);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Overwrites every weight (masters and 16-bit runtime copies) with the saved weights described by
    /// <paramref name="manifest"/> (a checkpoint, the best weights), so sessions bound to the store see
    /// them at once. The file must hold this store's tensors, by name and shape, with finite values.
    /// </summary>
    public void LoadFrom(WeightManifest manifest, string dataPath)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Tensors.Count != _tensors.Length
            || manifest.Tensors.Zip(_tensors).Any(p => p.First.Name != p.Second.Entry.Name || !p.First.Shape.SequenceEqual(p.Second.Entry.Shape)))
        {
            Throw.Bszo($"Weights '{dataPath}' do not fit this model.",
                $"{_tensors.Length} tensors named and shaped as in the training model", $"{manifest.Tensors.Count} tensors",
                "the file belongs to another model or another set of trainable tensors.");
        }
        Read(manifest, dataPath);
    }

    /// <summary>Reads every tensor <paramref name="manifest"/> describes into the masters, refreshes the runtime copies, and checks the values are finite.</summary>
    private void Read(WeightManifest manifest, string dataPath)
    {
        var file = new FileInfo(dataPath);
        if (!file.Exists)
        {
            Throw.Bszo($"Weight file '{dataPath}' does not exist.", hint: "prepare the model again, or point --resume at a complete checkpoint.");
        }
        foreach (var entry in manifest.Tensors)
        {
            if (entry.Offset < 0 || entry.Offset + entry.FileBytes > file.Length)
            {
                Throw.Bszo($"Weight file '{dataPath}' is too short for tensor '{entry.Name}'.",
                    $"bytes [{entry.Offset}, {entry.Offset + entry.FileBytes})", $"a file of {file.Length} bytes",
                    "the file is truncated; restore it or prepare the model again.");
            }
        }
        using var stream = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var buffer = new byte[1 << 20];
        for (int i = 0; i < _tensors.Length; i++)
        {
            var entry = manifest.Tensors[i];
            int id = _tensors[i].Entry.Id;
            stream.Position = entry.Offset;
            var master = Master(id);
            if (entry.FileType == OnnxDataType.Float)
            {
                stream.ReadExactly(MemoryMarshal.AsBytes(master));
            }
            else
            {
                for (long done = 0; done < entry.ElementCount;)
                {
                    int n = (int)Math.Min(buffer.Length / 2, entry.ElementCount - done);
                    stream.ReadExactly(buffer, 0, n * 2);
                    HalfBits.ToSingle(MemoryMarshal.Cast<byte, ushort>(buffer.AsSpan(0, n * 2)), entry.FileType, master.Slice((int)done, n));
                    done += n;
                }
            }
            SyncRuntimeCopy(id, 0, entry.ElementCount);
            CheckFinite(master, entry.Name, dataPath);
        }
    }

    /// <summary>The id of the tensor named <paramref name="name"/>.</summary>
    public int IdOf(string name) =>
        _byName.TryGetValue(name, out var id) ? id : Throw.Bszo<int>($"No trainable tensor named '{name}'.",
            hint: "see manifest.json for the names of the trainable tensors.");

    /// <summary>The fp32 master values of tensor <paramref name="id"/>. Valid until the store is disposed.</summary>
    public Span<float> Master(int id)
    {
        ObjectDisposedException.ThrowIf(_master == null, this);
        var t = _tensors[id];
        return new Span<float>(_master + t.MasterOffset, checked((int)t.Count));
    }

    /// <summary>Pointer to the master values of tensor <paramref name="id"/> (for kernels that need more than 2³¹ elements).</summary>
    internal float* MasterPointer(int id) => _master + _tensors[id].MasterOffset;

    /// <summary>
    /// The ONNX Runtime value the graph reads for tensor <paramref name="id"/>: a view over store memory,
    /// owned by the store. Bind it once; mutations are visible to the next run.
    /// </summary>
    public OrtValue Value(int id)
    {
        ObjectDisposedException.ThrowIf(_master == null, this);
        return _values[id];
    }

    /// <summary>Rewrites the 16-bit copy of elements [start, start + count) of tensor <paramref name="id"/> from the masters.</summary>
    public void SyncRuntimeCopy(int id, long start, long count)
    {
        var t = _tensors[id];
        if (!t.HasRuntimeCopy) return;
        var source = new ReadOnlySpan<float>(_master + t.MasterOffset + start, checked((int)count));
        var destination = new Span<ushort>(_runtime + _runtimeOffsets[id] + start * 2, checked((int)count));
        HalfBits.FromSingle(source, t.Entry.StorageType, destination);
    }

    /// <summary>
    /// Writes the fp32 masters to <paramref name="dataPath"/> (atomically) and returns a manifest that
    /// describes that file. Used for checkpoints and fine-tuned results.
    /// </summary>
    public WeightManifest Save(string dataPath)
    {
        var entries = new List<WeightEntry>();
        AtomicFile.Write(dataPath, stream =>
        {
            foreach (var t in _tensors)
            {
                long pad = (TrainingModelBuilder.Alignment - stream.Position % TrainingModelBuilder.Alignment) % TrainingModelBuilder.Alignment;
                for (long i = 0; i < pad; i++) stream.WriteByte(0);
                entries.Add(t.Entry with { FileType = OnnxDataType.Float, Offset = stream.Position });
                stream.Write(MemoryMarshal.AsBytes(Master(t.Entry.Id)));
            }
        });
        return Manifest with { Data = Path.GetFileName(dataPath), Tensors = entries };
    }

    /// <summary>SHA-256 of all fp32 master values in id order: equal weights give equal checksums.</summary>
    public string Checksum()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var t in _tensors) hash.AppendData(MemoryMarshal.AsBytes(Master(t.Entry.Id)));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Copies all master values into a new array (tests, snapshots).</summary>
    public float[] Snapshot()
    {
        var all = new float[ElementCount];
        long at = 0;
        foreach (var t in _tensors)
        {
            Master(t.Entry.Id).CopyTo(all.AsSpan((int)at));
            at += t.Count;
        }
        return all;
    }

    /// <summary>Overwrites all master values (and runtime copies) from a <see cref="Snapshot"/>.</summary>
    public void Restore(ReadOnlySpan<float> snapshot)
    {
        if (snapshot.Length != ElementCount) Throw.Bszo("Snapshot size does not match the store.", $"{ElementCount}", $"{snapshot.Length}");
        long at = 0;
        foreach (var t in _tensors)
        {
            snapshot.Slice((int)at, (int)t.Count).CopyTo(Master(t.Entry.Id));
            SyncRuntimeCopy(t.Entry.Id, 0, t.Count);
            at += t.Count;
        }
    }

    public void Dispose()
    {
        if (_master == null) return;
        foreach (var v in _values) v?.Dispose();
        NativeMemory.AlignedFree(_master);
        _master = null;
        if (_runtime != null)
        {
            NativeMemory.AlignedFree(_runtime);
            _runtime = null;
        }
    }

    private static long RoundUp(long value, long multiple) => (value + multiple - 1) / multiple * multiple;

    private static void CheckFinite(ReadOnlySpan<float> values, string name, string path)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                Throw.Bszo($"Tensor '{name}' in '{path}' holds {values[i]} at element {i}.", "finite values", values[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "the weights are corrupt, or come from a run that diverged; use an earlier checkpoint.");
            }
        }
    }
}
