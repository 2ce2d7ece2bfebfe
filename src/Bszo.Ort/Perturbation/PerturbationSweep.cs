using System.Diagnostics;
using Bszo.Ort.Runtime;
using CommunityToolkit.HighPerformance.Helpers;

namespace Bszo.Ort.Perturbation;

/// <summary>One term of a sweep: add c·z(<see cref="Seed"/>) to every trainable tensor.</summary>
/// <param name="Seed">Step seed; each tensor's stream key is derived from it and the tensor id.</param>
/// <param name="Coefficient">Part of c applied to every tensor as is.</param>
/// <param name="DecayedCoefficient">
/// Part of c multiplied by the tensor's own decay factor (the sweep's decay for decayable tensors, 1
/// for the others). A restore term fused into a sweep that also decays the weights belongs here:
/// θ_new = d·(θ' + r·z) − ηgz needs d·r on decayable tensors and r on the rest.
/// </param>
/// <remarks>Per tensor, c = Coefficient + decay·DecayedCoefficient, formed in double and rounded to fp32 once.</remarks>
public readonly record struct SweepTerm(ulong Seed, double Coefficient, double DecayedCoefficient = 0)
{
    /// <summary>The coefficient for a tensor whose decay factor is <paramref name="decay"/>.</summary>
    public float For(double decay) => (float)(Coefficient + decay * DecayedCoefficient);
}

/// <summary>Options for <see cref="PerturbationSweep"/>.</summary>
public sealed record SweepOptions
{
    /// <summary>Threads used for a sweep (ONNX Runtime is idle between runs, so all cores are free).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The distribution of every direction (Gaussian unless the run chose otherwise).</summary>
    public NoiseKind Noise { get; init; } = NoiseKind.Gaussian;

    /// <summary>
    /// The kernel that computes the noise: by default the fastest this machine has;
    /// <see cref="KernelPath.Reference"/> gives identical results, slower (for tests and audits).
    /// </summary>
    public KernelPath Kernel { get; init; } = KernelPaths.Fastest;

    /// <summary>Elements per work item; a multiple of <see cref="GaussianNoise.GroupSize"/>.</summary>
    public int BlockElements { get; init; } = 1 << 15;
}

/// <summary>
/// Applies <c>θ ← decay·θ + Σⱼ cⱼ·z(sⱼ)</c> to every trainable tensor in one pass over memory: the
/// primitive from which every optimizer's perturb, restore and update steps are built.
/// </summary>
/// <remarks>
/// The weights are split into blocks of <see cref="SweepOptions.BlockElements"/> elements (never
/// crossing a tensor) that threads take independently. Because z is a pure function of
/// (seed, tensor id, element index), the result does not depend on the thread count or on the
/// order blocks run in. Fusing terms matters: for MeZO, restore + update is one pass instead of two;
/// for BSZO, restore of one direction + perturbation along the next is one pass.
/// Weight decay applies only to tensors registered as decayable (see <see cref="SetDecayable"/>).
/// A sweep allocates nothing on the managed heap apart from the thread pool's own bookkeeping.
/// </remarks>
public sealed class PerturbationSweep : IWeightMutator
{
    private readonly WeightStore _store;
    private readonly (int Tensor, long Start, int Count)[] _blocks;
    private readonly bool[] _decayable;
    private SweepTerm[] _terms = new SweepTerm[8];
    private int _termCount;
    private float _decay = 1f;
    private double _decayDouble = 1.0;

    /// <summary>Creates a sweep over all tensors of <paramref name="store"/>; the store must outlive it.</summary>
    public PerturbationSweep(WeightStore store, SweepOptions? options = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        Options = options ?? new SweepOptions();
        if (Options.BlockElements <= 0 || Options.BlockElements % GaussianNoise.GroupSize != 0)
        {
            throw new ArgumentException($"BlockElements must be a positive multiple of {GaussianNoise.GroupSize}.", nameof(options));
        }
        if (!KernelPaths.CanRun(Options.Kernel))
        {
            throw new ArgumentException($"The {Options.Kernel} kernel cannot run on this machine.", nameof(options));
        }
        var blocks = new List<(int, long, int)>();
        foreach (var t in store.Tensors)
        {
            for (long start = 0; start < t.Count; start += Options.BlockElements)
            {
                blocks.Add((t.Entry.Id, start, (int)Math.Min(Options.BlockElements, t.Count - start)));
            }
        }
        _blocks = [.. blocks];
        _decayable = new bool[store.Tensors.Count];
        Noise = new NoiseSource(Options.Noise, Options.Kernel);
    }

    /// <summary>The options in effect.</summary>
    public SweepOptions Options { get; }

    /// <summary>The directions this sweep draws: their kind and the kernel that computes them.</summary>
    public NoiseSource Noise { get; }

    /// <summary>The weights this sweep mutates.</summary>
    public WeightStore Store => _store;

    /// <summary>Number of trainable scalars the sweeps cover.</summary>
    public long ElementCount => _store.ElementCount;

    /// <summary>Sweeps performed so far.</summary>
    public long Count { get; private set; }

    /// <summary>Noise streams generated so far (Σ over sweeps of terms per sweep).</summary>
    public long StreamCount { get; private set; }

    /// <summary>Wall time spent in sweeps.</summary>
    public TimeSpan Elapsed { get; private set; }

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
        if (_terms.Length < terms.Length) _terms = new SweepTerm[terms.Length];
        terms.CopyTo(_terms);
        _termCount = terms.Length;
        _decay = (float)decay;
        _decayDouble = decay;

        long start = Stopwatch.GetTimestamp();
        if (Options.Threads <= 1)
        {
            for (int b = 0; b < _blocks.Length; b++) RunBlock(b);
        }
        else
        {
            ParallelHelper.For(0, _blocks.Length, new BlockAction(this), minimumActionsPerThread: 2);
        }
        Elapsed += Stopwatch.GetElapsedTime(start);
        Count++;
        StreamCount += terms.Length;
    }

    /// <summary>Applies a single-term sweep.</summary>
    public void Apply(ulong seed, double coefficient, double decay = 1.0) => Apply([new SweepTerm(seed, coefficient)], decay);

    /// <summary>Whether weight decay applies to tensor <paramref name="tensorId"/> (see <see cref="SetDecayable"/>).</summary>
    public bool IsDecayable(int tensorId) => _decayable[tensorId];

    /// <summary>
    /// Runs a custom per-element kernel as one sweep: same blocks, threads, decay flags and
    /// runtime-copy sync as <see cref="Apply(ReadOnlySpan{SweepTerm}, double)"/>, so its results are
    /// equally independent of the thread count. Used by optimizers whose update reads or writes
    /// per-element state (momentum, Adam moments, a Hessian estimate) or whose direction is not a
    /// plain Gaussian (low-rank subspaces).
    /// </summary>
    /// <param name="kernel">Work for one block; invoked concurrently on disjoint blocks.</param>
    /// <param name="streams">Noise streams the kernel generates, for <see cref="StreamCount"/>.</param>
    /// <param name="decay">Passed to the kernel for decayable tensors; 1 for the others.</param>
    public void Run<TKernel>(TKernel kernel, int streams, double decay = 1.0)
        where TKernel : struct, IBlockKernel
    {
        long start = Stopwatch.GetTimestamp();
        var action = new KernelAction<TKernel>(this, kernel, (float)decay);
        if (Options.Threads <= 1)
        {
            for (int b = 0; b < _blocks.Length; b++) action.Invoke(b);
        }
        else
        {
            ParallelHelper.For(0, _blocks.Length, action, minimumActionsPerThread: 2);
        }
        Elapsed += Stopwatch.GetElapsedTime(start);
        Count++;
        StreamCount += streams;
    }

    private void RunBlock(int index)
    {
        var (tensor, start, count) = _blocks[index];
        float decay = _decayable[tensor] ? _decay : 1f;
        Span<NoiseTerm> streams = stackalloc NoiseTerm[_termCount];
        for (int j = 0; j < _termCount; j++)
        {
            streams[j] = new NoiseTerm(SquaresRng.Key(_terms[j].Seed, tensor), _terms[j].For(_decayable[tensor] ? _decayDouble : 1.0));
        }
        var weights = _store.Master(tensor).Slice((int)start, count);
        Noise.Accumulate(weights, start, streams, decay);
        _store.SyncRuntimeCopy(tensor, start, count);
    }

    private void RunKernelBlock<TKernel>(ref TKernel kernel, int index, float decay)
        where TKernel : struct, IBlockKernel
    {
        var (tensor, start, count) = _blocks[index];
        var weights = _store.Master(tensor).Slice((int)start, count);
        kernel.Apply(tensor, start, weights, _decayable[tensor] ? decay : 1f, Noise);
        _store.SyncRuntimeCopy(tensor, start, count);
    }

    private readonly struct BlockAction(PerturbationSweep owner) : IAction
    {
        public void Invoke(int i) => owner.RunBlock(i);
    }

    private readonly struct KernelAction<TKernel>(PerturbationSweep owner, TKernel kernel, float decay) : IAction
        where TKernel : struct, IBlockKernel
    {
        private readonly TKernel _kernel = kernel;

        public void Invoke(int i)
        {
            var k = _kernel;
            owner.RunKernelBlock(ref k, i, decay);
        }
    }
}
