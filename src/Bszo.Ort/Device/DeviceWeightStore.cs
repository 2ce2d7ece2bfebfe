using Bszo.Ort.Graph;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Ort.Device;

/// <summary>
/// Holds a model's trainable weights in memory of an execution device (a CUDA GPU) and lends
/// ONNX Runtime views of them, so that forward passes and sweeps never move weights off the device.
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> Every tensor has fp32 master values on the device, padded as on the host to a
/// multiple of <see cref="WeightStore.PaddingElements"/> so that sweeps work on whole noise groups
/// and words (the padding receives noise and is never read or saved). Tensors the model stores as fp16/bf16 also have a 16-bit runtime copy on the
/// device, which is what the graph reads; sweeps rewrite it from the masters, as
/// <see cref="WeightStore"/> does on the host.</para>
/// <para><b>Host mirror.</b> The store is created from a loaded <see cref="WeightStore"/> and uploads
/// it once. That host store stays the place for checkpoints and results: <see cref="Download"/>
/// copies the device masters into it (then save with <see cref="WeightStore.Save"/>), and
/// <see cref="Upload"/> copies it back (after <see cref="WeightStore.Restore"/>, say). Nothing is
/// copied between the two otherwise.</para>
/// <para><b>How memory is obtained.</b> The device memory comes from ONNX Runtime's allocator for the
/// device (an <see cref="OrtAllocator"/> over a session of the store), one allocation per master and
/// per runtime copy. Uploads, downloads and fp32→16-bit conversions run one-node graphs on the device
/// (<see cref="TensorCopier"/>). One allocation holds at most 4 GiB (the managed API's limit), i.e.
/// about 1.07 billion fp32 elements per tensor.</para>
/// <para><b>Ownership and lifetime.</b> The store owns the device memory, the views returned by
/// <see cref="Value"/>, and its sessions; it borrows the host store, which must outlive it. Dispose
/// it after every <see cref="TrainingGraphSession"/> and <see cref="DeviceSweep"/> that uses it, and
/// before the host store.</para>
/// <para><b>Threading.</b> As for <see cref="WeightStore"/>: strictly one operation at a time.</para>
/// </remarks>
public sealed class DeviceWeightStore : IDisposable
{
    private readonly TensorCopier _copier;
    private readonly OrtMemoryInfo _memory;
    private readonly OrtAllocator _allocator;
    private readonly OrtMemoryAllocation[] _masters;
    private readonly OrtMemoryAllocation?[] _runtime;
    private readonly OrtValue[] _values;
    private readonly int _transferChunk;
    private bool _disposed;

    private DeviceWeightStore(WeightStore host, DeviceWeightStoreOptions options)
    {
        Host = host;
        Device = ExecutionDevice.Normalize(options.Device);
        Settings = new SessionSettings { Device = Device, IntraOpThreads = options.IntraOpThreads };
        _transferChunk = options.TransferChunkElements;
        int n = host.Tensors.Count;
        _masters = new OrtMemoryAllocation[n];
        _runtime = new OrtMemoryAllocation?[n];
        _values = new OrtValue[n];
        _copier = new TensorCopier(Settings);
        _memory = ExecutionDevice.CreateMemoryInfo(Device);
        try
        {
            _allocator = new OrtAllocator(_copier.Identity, _memory);
        }
        catch
        {
            _memory.Dispose();
            _copier.Dispose();
            throw;
        }
    }

    /// <summary>The host store this store mirrors (checkpoints, results).</summary>
    public WeightStore Host { get; }

    /// <summary>The device, in canonical form ("cuda:0", or "cpu").</summary>
    public string Device { get; }

    /// <summary>The tensors, indexed by id (the same as the host store's).</summary>
    public IReadOnlyList<StoredTensor> Tensors => Host.Tensors;

    /// <summary>Bytes of device memory the store holds.</summary>
    public long DeviceBytes { get; private set; }

    /// <summary>Settings of sessions that work on this store's device.</summary>
    internal SessionSettings Settings { get; }

    /// <summary>
    /// Allocates device memory for every tensor of <paramref name="host"/> and uploads its current
    /// values. The host store must outlive the device store.
    /// </summary>
    public static DeviceWeightStore Create(WeightStore host, DeviceWeightStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        options ??= new DeviceWeightStoreOptions();
        if (options.TransferChunkElements <= 0 || options.TransferChunkElements % GaussianNoise.GroupSize != 0)
        {
            throw new ArgumentException($"TransferChunkElements must be a positive multiple of {GaussianNoise.GroupSize}.", nameof(options));
        }
        var store = new DeviceWeightStore(host, options);
        try
        {
            store.Allocate();
            store.Upload();
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The device value the model graph reads for tensor <paramref name="id"/> (the runtime copy for
    /// 16-bit storage, else the masters), owned by the store. Bind it once; sweeps are visible to the next run.
    /// </summary>
    public OrtValue Value(int id)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _values[id];
    }

    /// <summary>Copies the host store's masters to the device and rewrites the device runtime copies.</summary>
    public void Upload()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var t in Tensors)
        {
            int id = t.Entry.Id;
            long padded = PaddedCount(id);
            for (long start = 0; start < padded; start += _transferChunk)
            {
                long count = Math.Min(_transferChunk, padded - start);
                using var host = HostMasterView(id, start, count);
                using var device = CreateMasterView(id, start, count);
                _copier.Copy(host, OnnxDataType.Float, device, OnnxDataType.Float);
                if (t.HasRuntimeCopy)
                {
                    using var runtime = CreateRuntimeView(id, start, count)!;
                    _copier.Copy(device, OnnxDataType.Float, runtime, t.Entry.StorageType);
                }
            }
        }
    }

    /// <summary>Copies the device masters into the host store (and its runtime copies), e.g. before saving a checkpoint.</summary>
    public void Download()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var t in Tensors)
        {
            int id = t.Entry.Id;
            for (long start = 0; start < t.Count; start += _transferChunk)
            {
                long count = Math.Min(_transferChunk, t.Count - start);
                using var device = CreateMasterView(id, start, count);
                using var host = HostMasterView(id, start, count);
                _copier.Copy(device, OnnxDataType.Float, host, OnnxDataType.Float);
            }
            Host.SyncRuntimeCopy(id, 0, t.Count);
        }
    }

    /// <summary>Reads the device's 16-bit runtime copy of tensor <paramref name="id"/> (tests and audits).</summary>
    internal unsafe ushort[] ReadRuntimeCopy(int id)
    {
        var t = Tensors[id];
        if (!t.HasRuntimeCopy) Throw.Bszo($"Tensor '{t.Entry.Name}' has no runtime copy.", "a float16 or bfloat16 tensor", OnnxDataType.Name(t.Entry.StorageType));
        var bits = new ushort[t.Count];
        using var device = CreateRuntimeView(id, 0, t.Count)!;
        fixed (ushort* data = bits)
        {
            using var host = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, OnnxDataType.ToOrt(t.Entry.StorageType), [bits.Length], (nint)data, bits.Length * 2L);
            _copier.Copy(device, t.Entry.StorageType, host, t.Entry.StorageType);
        }
        return bits;
    }

    /// <summary>Elements of tensor <paramref name="id"/> on the device, padding included (as the host store pads it).</summary>
    internal long PaddedCount(int id) => RoundUp(Tensors[id].Count, WeightStore.PaddingElements);

    /// <summary>A 1-D fp32 view of masters [start, start + count) of tensor <paramref name="id"/>; the caller disposes it before the store.</summary>
    internal OrtValue CreateMasterView(int id, long start, long count) =>
        View(_masters[id], start * sizeof(float), Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [count], count * sizeof(float));

    /// <summary>The matching view of the 16-bit runtime copy, or null for fp32 tensors; the caller disposes it.</summary>
    internal OrtValue? CreateRuntimeView(int id, long start, long count)
    {
        var allocation = _runtime[id];
        if (allocation is null) return null;
        var type = OnnxDataType.ToOrt(Tensors[id].Entry.StorageType);
        return View(allocation, start * 2, type, [count], count * 2);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var v in _values) v?.Dispose();
        foreach (var a in _masters) a?.Dispose();
        foreach (var a in _runtime) a?.Dispose();
        _allocator.Dispose(); // before the session that lent it
        _memory.Dispose();
        _copier.Dispose();
    }

    private void Allocate()
    {
        foreach (var t in Tensors)
        {
            int id = t.Entry.Id;
            long padded = PaddedCount(id);
            _masters[id] = Allocate(t, padded * sizeof(float));
            if (t.HasRuntimeCopy) _runtime[id] = Allocate(t, padded * 2);
            var graphType = OnnxDataType.ToOrt(t.Entry.StorageType);
            long bytes = t.Count * OnnxDataType.ElementSize(t.Entry.StorageType);
            _values[id] = View(_runtime[id] ?? _masters[id], 0, graphType, t.Entry.Shape, bytes);
        }
    }

    private OrtMemoryAllocation Allocate(StoredTensor tensor, long bytes)
    {
        if (bytes > uint.MaxValue)
        {
            Throw.Bszo($"Tensor '{tensor.Entry.Name}' needs {bytes} bytes in one device allocation.", $"at most {uint.MaxValue} bytes",
                bytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "ONNX Runtime's managed allocator API is limited to 4 GiB per allocation; train this tensor on the CPU or split it in the model.");
        }
        try
        {
            var allocation = _allocator.Allocate((uint)bytes);
            DeviceBytes += bytes;
            return allocation;
        }
        catch (OnnxRuntimeException e)
        {
            return Throw.Bszo<OrtMemoryAllocation>(e, $"Allocating {bytes} bytes on '{Device}' for tensor '{tensor.Entry.Name}' failed.",
                found: e.Message, hint: $"the weights need {(DeviceBytes + bytes) / (1 << 20)} MiB so far; free device memory or use a smaller model.");
        }
    }

    /// <summary>
    /// A view over part of an allocation. The allocation's handle is its device address; the store
    /// keeps the allocation alive for as long as any view may be used.
    /// </summary>
    private OrtValue View(OrtMemoryAllocation allocation, long byteOffset, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType type, long[] shape, long bytes) =>
        OrtValue.CreateTensorValueWithData(_memory, type, shape, allocation.DangerousGetHandle() + (nint)byteOffset, bytes);

    private unsafe OrtValue HostMasterView(int id, long start, long count) =>
        OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float,
            [count], (nint)(Host.MasterPointer(id) + start), count * sizeof(float));

    private static long RoundUp(long value, long multiple) => (value + multiple - 1) / multiple * multiple;
}
