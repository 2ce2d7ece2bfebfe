using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// One fp32 value per trainable element (a momentum, an Adam moment, a diagonal Hessian estimate),
/// laid out exactly like the master weights of a <see cref="WeightStore"/> so that a sweep block
/// addresses weights and state with the same tensor id and element index.
/// </summary>
/// <remarks>
/// <para><b>Memory.</b> One 64-byte-aligned native slab of <see cref="WeightStore.MasterElements"/>
/// floats (each tensor padded to 16 elements), allocated with <see cref="NativeMemory.AlignedAlloc"/>:
/// as large as the fp32 masters themselves, which is why optimizers that keep such state break the
/// "memory of inference" property of MeZO and report it in <see cref="ZerothOrderOptimizer.StateBytes"/>.</para>
/// <para><b>Ownership and lifetime.</b> The optimizer that creates the buffer owns it and disposes it
/// in its own <see cref="IDisposable.Dispose"/>. Spans from <see cref="Tensor"/> are views that must
/// not outlive the buffer. The buffer does not reference the store after creation; it only keeps its
/// tensor layout (names, counts, offsets).</para>
/// <para><b>Files.</b> <see cref="Save"/> writes a small self-describing header (slot name, tensor
/// names and sizes) followed by the values, through <see cref="AtomicFile"/>; <see cref="Load"/>
/// refuses a file written for other tensors.</para>
/// </remarks>
public sealed unsafe class ElementStateBuffer : IDisposable
{
    private const string Magic = "BSZOELEM";
    private const int Version = 1;
    private readonly StoredTensor[] _tensors;
    private float* _values;

    private ElementStateBuffer(WeightStore store, string name, float initialValue)
    {
        Name = name;
        _tensors = [.. store.Tensors];
        ElementCount = Math.Max(store.MasterElements, 16);
        _values = (float*)NativeMemory.AlignedAlloc((nuint)ElementCount * sizeof(float), 64);
        Fill(initialValue);
    }

    /// <summary>The slot's name (e.g. "m", "v", "hessian"); also part of its file name.</summary>
    public string Name { get; }

    /// <summary>Floats held, including per-tensor padding.</summary>
    public long ElementCount { get; }

    /// <summary>Bytes of native memory held.</summary>
    public long Bytes => ElementCount * sizeof(float);

    /// <summary>Allocates a buffer shaped like <paramref name="store"/>'s masters, every value set to <paramref name="initialValue"/>.</summary>
    public static ElementStateBuffer Create(WeightStore store, string name, float initialValue = 0f)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new ElementStateBuffer(store, name, initialValue);
    }

    /// <summary>Bytes a buffer for <paramref name="manifest"/>'s tensors would hold (for memory estimates).</summary>
    public static long BytesFor(WeightManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        long elements = manifest.Tensors.Sum(t => (t.ElementCount + WeightStore.PaddingElements - 1) / WeightStore.PaddingElements * WeightStore.PaddingElements);
        return Math.Max(elements, 16) * sizeof(float);
    }

    /// <summary>The values of tensor <paramref name="id"/>. Valid until the buffer is disposed.</summary>
    public Span<float> Tensor(int id)
    {
        ObjectDisposedException.ThrowIf(_values == null, this);
        var t = _tensors[id];
        return new Span<float>(_values + t.MasterOffset, checked((int)t.Count));
    }

    /// <summary>Sets every value (padding included) to <paramref name="value"/>.</summary>
    public void Fill(float value)
    {
        ObjectDisposedException.ThrowIf(_values == null, this);
        for (long at = 0; at < ElementCount; at += int.MaxValue / 2)
        {
            new Span<float>(_values + at, (int)Math.Min(int.MaxValue / 2, ElementCount - at)).Fill(value);
        }
    }

    /// <summary>Writes the values to <paramref name="path"/> atomically.</summary>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(_values == null, this);
        var header = Encoding.UTF8.GetBytes(DescribeLayout());
        AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[16];
            Encoding.ASCII.GetBytes(Magic, prefix);
            BinaryPrimitives.WriteInt32LittleEndian(prefix[8..], Version);
            BinaryPrimitives.WriteInt32LittleEndian(prefix[12..], header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (var t in _tensors) stream.Write(MemoryMarshal.AsBytes(Tensor(t.Entry.Id)));
        });
    }

    /// <summary>Reads values written by <see cref="Save"/> for the same tensors.</summary>
    public void Load(string path)
    {
        ObjectDisposedException.ThrowIf(_values == null, this);
        if (!File.Exists(path))
        {
            Throw.Bszo($"Optimizer state file '{path}' does not exist.", $"the '{Name}' state saved with the checkpoint", "no such file",
                "the checkpoint is incomplete or was written by another optimizer; resume from another checkpoint.");
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        Span<byte> prefix = stackalloc byte[16];
        if (stream.Length < 16 || stream.Read(prefix) != 16 || Encoding.ASCII.GetString(prefix[..8]) != Magic
            || BinaryPrimitives.ReadInt32LittleEndian(prefix[8..]) != Version)
        {
            Throw.Bszo($"'{path}' is not an optimizer state file of a supported version.", $"{Magic} version {Version}", "another format",
                "the file is damaged or was written by another program.");
        }
        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(prefix[12..]);
        long dataBytes = _tensors.Sum(t => t.Count) * sizeof(float);
        if (headerLength < 0 || stream.Length != 16 + headerLength + dataBytes)
        {
            Throw.Bszo($"Optimizer state file '{path}' has the wrong size.", $"{16L + Math.Max(headerLength, 0) + dataBytes} bytes", $"{stream.Length} bytes",
                "the file is truncated, or belongs to a run over other tensors.");
        }
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var found = Encoding.UTF8.GetString(header);
        var expected = DescribeLayout();
        if (found != expected)
        {
            Throw.Bszo($"Optimizer state file '{path}' was written for other tensors or another state slot.", expected, found,
                "resume with the model and optimizer that wrote the checkpoint.");
        }
        foreach (var t in _tensors) stream.ReadExactly(MemoryMarshal.AsBytes(Tensor(t.Entry.Id)));
    }

    public void Dispose()
    {
        if (_values == null) return;
        NativeMemory.AlignedFree(_values);
        _values = null;
    }

    private string DescribeLayout() => JsonSerializer.Serialize(new LayoutHeader(Name, [.. _tensors.Select(t => new LayoutTensor(t.Entry.Name, t.Count))]));

    private sealed record LayoutHeader(string Slot, LayoutTensor[] Tensors);

    private sealed record LayoutTensor(string Name, long Count);
}
