using System.Diagnostics;
using Bszo.Ort.Graph;
using Bszo.Ort.Perturbation;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Ort.Device;

/// <summary>
/// Applies fused sweeps <c>θ ← decay·θ + Σⱼ cⱼ·z(sⱼ)</c> to the weights of a
/// <see cref="DeviceWeightStore"/> by running the updater graph (<see cref="SweepGraph"/>) on the
/// device, in place: the weights never leave the device.
/// </summary>
/// <remarks>
/// <para>The noise is the same function of (seed, tensor id, element index) as on the host
/// (<see cref="GaussianNoise"/>, or <see cref="RademacherNoise"/> when the options ask for it); the
/// generator's integers are bit-identical. Gaussian z agrees to a few fp32 ulps, because the device
/// computes Box–Muller with ONNX Runtime's Log/Sqrt/Cos/Sin, so a Gaussian device run follows the
/// host trajectory closely but not bit for bit, and its trajectory log replays on the host to within
/// that rounding. Rademacher z is exactly ±1 on both.</para>
/// <para>Each tensor is processed in chunks of <see cref="DeviceSweepOptions.ChunkElements"/>; for
/// fp16/bf16 tensors the same run also rewrites the runtime copy the model reads.</para>
/// <para><b>Ownership.</b> The sweep owns its sessions and chunk views and borrows the store, which
/// must outlive it. <b>Threading.</b> One caller at a time, never during a forward pass.</para>
/// </remarks>
public sealed class DeviceSweep : IWeightMutator, IDisposable
{
    private readonly DeviceWeightStore _store;
    private readonly Dictionary<int, SweepGraphSession> _graphs = [];
    private readonly List<Chunk>[] _chunks;
    private readonly bool[] _decayable;
    private NoiseTerm[] _streams = new NoiseTerm[8];

    private DeviceSweep(DeviceWeightStore store, DeviceSweepOptions options)
    {
        _store = store;
        Options = options;
        _decayable = new bool[store.Tensors.Count];
        _chunks = new List<Chunk>[store.Tensors.Count];
        try
        {
            foreach (var t in store.Tensors)
            {
                int id = t.Entry.Id;
                int runtimeType = t.HasRuntimeCopy ? t.Entry.StorageType : OnnxDataType.Float;
                if (!_graphs.ContainsKey(runtimeType)) _graphs[runtimeType] = SweepGraphSession.Create(runtimeType, store.Settings, options.Noise);
                var list = _chunks[id] = [];
                long padded = store.PaddedCount(id);
                for (long start = 0; start < padded; start += options.ChunkElements)
                {
                    long count = Math.Min(options.ChunkElements, padded - start);
                    list.Add(new Chunk(start, count, store.CreateMasterView(id, start, count), store.CreateRuntimeView(id, start, count)));
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The options in effect.</summary>
    public DeviceSweepOptions Options { get; }

    /// <summary>The weights this sweep mutates.</summary>
    public DeviceWeightStore Store => _store;

    /// <summary>Number of trainable scalars the sweeps cover.</summary>
    public long ElementCount => _store.Host.ElementCount;

    /// <summary>Sweeps performed so far.</summary>
    public long Count { get; private set; }

    /// <summary>Noise streams generated so far (Σ over sweeps of terms per sweep).</summary>
    public long StreamCount { get; private set; }

    /// <summary>Wall time spent in sweeps.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>Creates a sweep over all tensors of <paramref name="store"/>; the store must outlive it.</summary>
    public static DeviceSweep Create(DeviceWeightStore store, DeviceSweepOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new DeviceSweepOptions();
        int alignment = SweepGraph.Alignment(options.Noise);
        if (options.ChunkElements <= 0 || options.ChunkElements % alignment != 0)
        {
            throw new ArgumentException($"ChunkElements must be a positive multiple of {alignment} for {NoiseKinds.Name(options.Noise)} directions.", nameof(options));
        }
        return new DeviceSweep(store, options);
    }

    /// <summary>Marks which tensors weight decay applies to (by default none).</summary>
    public void SetDecayable(Func<string, bool> isDecayable)
    {
        ArgumentNullException.ThrowIfNull(isDecayable);
        foreach (var t in _store.Tensors) _decayable[t.Entry.Id] = isDecayable(t.Entry.Name);
    }

    /// <summary>Applies one sweep. <paramref name="decay"/> multiplies decayable tensors before the noise is added.</summary>
    public void Apply(ReadOnlySpan<SweepTerm> terms, double decay = 1.0)
    {
        if (terms.Length == 0 && decay == 1.0) return;
        long begin = Stopwatch.GetTimestamp();
        // The graph needs at least one stream; a zero coefficient adds exactly zero.
        int streams = Math.Max(terms.Length, 1);
        if (_streams.Length < streams) _streams = new NoiseTerm[streams];
        foreach (var t in _store.Tensors)
        {
            int id = t.Entry.Id;
            for (int j = 0; j < terms.Length; j++)
            {
                _streams[j] = new NoiseTerm(SquaresRng.Key(terms[j].Seed, id), terms[j].For(_decayable[id] ? decay : 1.0));
            }
            if (terms.Length == 0) _streams[0] = new NoiseTerm(SquaresRng.Key(0, id), 0f);
            var graph = _graphs[t.HasRuntimeCopy ? t.Entry.StorageType : OnnxDataType.Float];
            graph.SetTerms(_streams.AsSpan(0, streams), _decayable[id] ? (float)decay : 1f);
            foreach (var chunk in _chunks[id]) graph.Run(chunk.Master, chunk.Master, chunk.Runtime, chunk.Start, chunk.Count);
        }
        Elapsed += Stopwatch.GetElapsedTime(begin);
        Count++;
        StreamCount += terms.Length;
    }

    /// <summary>Applies a single-term sweep.</summary>
    public void Apply(ulong seed, double coefficient, double decay = 1.0) => Apply([new SweepTerm(seed, coefficient)], decay);

    public void Dispose()
    {
        foreach (var list in _chunks)
        {
            if (list is null) continue;
            foreach (var chunk in list)
            {
                chunk.Master.Dispose();
                chunk.Runtime?.Dispose();
            }
            list.Clear();
        }
        foreach (var graph in _graphs.Values) graph.Dispose();
        _graphs.Clear();
    }

    private sealed record Chunk(long Start, long Count, OrtValue Master, OrtValue? Runtime);
}
