using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// SubZero's sweep: adds Σⱼ cⱼ·D(sⱼ) to every trainable tensor in one pass, where for a matrix with a
/// stored subspace the direction is low-rank, D(s) = (√(mn)/r)·U·Z(s)·Vᵀ with an r × r core Z(s) of
/// the sweep's noise kind (Gaussian unless the run chose Rademacher), and for every other tensor it is
/// the plain z(s) of <see cref="PerturbationSweep"/>.
/// </summary>
/// <remarks>
/// <para>Terms that share a subspace fuse for free: Σⱼ cⱼ·U·Z(sⱼ)·Vᵀ = U·(Σⱼ cⱼ·Z(sⱼ))·Vᵀ, so the
/// combined r × r core of each matrix is formed once per sweep (in double, on the calling thread)
/// and the pass over the weights costs the same for any number of terms. Rows are applied as
/// (U·C)·Vᵀ without materialising D (<see cref="LowRankKernels"/>); other tensors go through
/// <see cref="SweepKernels"/>. Blocks, threads, the noise kind and the kernel path are those of the
/// wrapped <see cref="PerturbationSweep"/>, so results do not depend on the thread count.</para>
/// <para>Z(s) for tensor t is element 0 … r²−1 of the noise stream (s, t), row-major.</para>
/// <para>The sweep borrows the <see cref="PerturbationSweep"/> and the <see cref="SubspaceBasis"/>;
/// its scratch (the combined cores, Σ r² doubles) is allocated once.</para>
/// </remarks>
public sealed class SubspaceSweep
{
    private readonly PerturbationSweep _sweep;
    private readonly SubspaceBasis _basis;
    private readonly int[] _coreOffsets;
    private readonly double[] _cores;
    private SweepTerm[] _terms = new SweepTerm[4];
    private int _termCount;
    private SweepTerm _restore;

    /// <summary>Creates a sweep over <paramref name="sweep"/>'s weights with the subspaces of <paramref name="basis"/>.</summary>
    public SubspaceSweep(PerturbationSweep sweep, SubspaceBasis basis)
    {
        _sweep = sweep ?? throw new ArgumentNullException(nameof(sweep));
        _basis = basis ?? throw new ArgumentNullException(nameof(basis));
        _coreOffsets = new int[sweep.Store.Tensors.Count];
        int total = 0;
        foreach (var s in basis.Subspaces)
        {
            _coreOffsets[s.TensorId] = total;
            total += s.Rank * s.Rank;
        }
        _cores = new double[total];
    }

    /// <summary>The wrapped sweep (counts, timing, options).</summary>
    public PerturbationSweep Sweep => _sweep;

    /// <summary>The subspaces in use.</summary>
    public SubspaceBasis Basis => _basis;

    /// <summary>Applies a single-term sweep.</summary>
    public void Apply(ulong seed, double coefficient) => Apply([new SweepTerm(seed, coefficient)]);

    /// <summary>
    /// Applies <c>θ ← decay·θ + decay·r·D(s_r) + Σⱼ cⱼ·D(sⱼ)</c> in one pass: <paramref name="restore"/>
    /// (r, s_r) undoes a pending perturbation before decay scales the weights, so it is multiplied by
    /// each tensor's own decay factor (1 for tensors that are not decayable).
    /// </summary>
    public void Apply(ReadOnlySpan<SweepTerm> terms, double decay = 1.0, SweepTerm restore = default)
    {
        if (!_basis.IsGenerated) Throw.Bszo("The SubZero subspaces have not been generated.", hint: "call SubspaceBasis.Regenerate before sweeping.");
        if (_terms.Length < terms.Length) _terms = new SweepTerm[terms.Length];
        terms.CopyTo(_terms);
        _termCount = terms.Length;
        _restore = restore;
        var subspaces = _basis.Subspaces;
        for (int i = 0; i < subspaces.Count; i++)
        {
            var s = subspaces[i];
            double tensorDecay = _sweep.IsDecayable(s.TensorId) ? (float)decay : 1f;
            var core = _cores.AsSpan(_coreOffsets[s.TensorId], s.Rank * s.Rank);
            core.Clear();
            if (restore.Coefficient != 0) AddCore(core, s, restore.Seed, tensorDecay * restore.Coefficient, _sweep.Noise.Kind);
            for (int j = 0; j < _termCount; j++) AddCore(core, s, _terms[j].Seed, _terms[j].Coefficient, _sweep.Noise.Kind);
        }
        _sweep.Run(new Kernel(this), streams: _termCount + (restore.Coefficient != 0 ? 1 : 0), decay);
    }

    private static void AddCore(Span<double> core, TensorSubspace s, ulong seed, double coefficient, NoiseKind noise)
    {
        ulong key = SquaresRng.Key(seed, s.TensorId);
        double scale = coefficient * s.Scale;
        for (int i = 0; i < core.Length; i++) core[i] += scale * SweepKernels.Value(noise, key, i);
    }

    private void ApplyBlock(int tensor, long start, Span<float> weights, float decay, NoiseSource noise)
    {
        var s = _basis.For(tensor);
        if (s is null)
        {
            bool restoring = _restore.Coefficient != 0;
            Span<NoiseTerm> streams = stackalloc NoiseTerm[_termCount + (restoring ? 1 : 0)];
            for (int j = 0; j < _termCount; j++) streams[j] = new NoiseTerm(SquaresRng.Key(_terms[j].Seed, tensor), (float)_terms[j].Coefficient);
            if (restoring) streams[_termCount] = new NoiseTerm(SquaresRng.Key(_restore.Seed, tensor), (float)(decay * _restore.Coefficient));
            noise.Accumulate(weights, start, streams, decay);
            return;
        }

        int n = s.Columns;
        Span<float> a = stackalloc float[s.Rank];
        ReadOnlySpan<double> core = _cores.AsSpan(_coreOffsets[tensor], s.Rank * s.Rank);
        for (int done = 0; done < weights.Length;)
        {
            long element = start + done;
            int row = (int)(element / n);
            int column = (int)(element % n);
            int length = Math.Min(n - column, weights.Length - done);
            LowRankKernels.RowCoefficients(s.U.AsSpan(row * s.Rank, s.Rank), core, a);
            var segment = weights.Slice(done, length);
            if (noise.IsReference) LowRankKernels.AccumulateRowReference(segment, a, s.Vt, n, column, decay);
            else LowRankKernels.AccumulateRow(segment, a, s.Vt, n, column, decay);
            done += length;
        }
    }

    private readonly struct Kernel(SubspaceSweep owner) : IBlockKernel
    {
        public void Apply(int tensor, long start, Span<float> weights, float decay, NoiseSource noise) =>
            owner.ApplyBlock(tensor, start, weights, decay, noise);
    }
}
