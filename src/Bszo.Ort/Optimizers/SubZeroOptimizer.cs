using System.Text.Json.Nodes;
using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// Options of <see cref="SubZeroOptimizer"/>. Defaults: rank 8 (the code's <c>gauss_rank</c>),
/// refresh interval 1000 (best in the paper's ablation; the code's default is
/// <see cref="CodeRefreshInterval"/>), ε = 1e-3 and η = 1e-6 as MeZO (the norm alignment is there so
/// that MeZO's ε and η carry over).
/// </summary>
public sealed record SubZeroOptions : OptimizerOptions
{
    /// <summary>The refresh interval in SubZero's code (<c>update_interval</c> = 2000).</summary>
    public const int CodeRefreshInterval = 2000;

    /// <summary>Rank r of each matrix's subspace (capped at the matrix's smaller side).</summary>
    public int Rank { get; init; } = 8;

    /// <summary>Steps T between regenerations of the subspaces.</summary>
    public int RefreshInterval { get; init; } = 1000;

    /// <summary>
    /// View every matrix as the most nearly square factor pair of its element count (SubZero's
    /// setting for LoRA, prefix and prompt tuning, whose tensors are very thin).
    /// </summary>
    public bool ReshapeNearSquare { get; init; }

    public override void Validate()
    {
        base.Validate();
        Require(Rank is >= 1 and <= 256, "rank", "an integer in [1, 256]", Rank);
        Require(RefreshInterval >= 1, "refresh interval", "≥ 1", RefreshInterval);
    }
}

/// <summary>
/// SubZero: MeZO with random low-rank perturbations. Each matrix W (m × n) is perturbed along
/// D = (√(mn)/r)·U·Z·Vᵀ, with column-orthonormal U (m × r), V (n × r) kept for T steps and a fresh
/// r × r Gaussian core Z every step; other tensors get a Gaussian z as in MeZO. Two-sided SPSA with
/// one projected gradient ρ shared by all tensors; update θ ← θ − η·ρ·D.
/// </summary>
/// <remarks>
/// <para>Source: Yu et al., "SubZero: Random Subspace Zeroth-Order Optimization for Memory-Efficient
/// LLM Fine-Tuning" (arXiv 2410.08989; ICCV 2025), code zimingyy/SubZero (<c>subzero_sgd</c>).</para>
/// <para>Subspaces are regenerated at steps 0, T, 2T, … from a seed drawn as that step's first seed
/// (so it is in the trajectory log); a run resumed mid-period derives the same seed from the run
/// seed and the period's first step. Nothing about the subspaces needs to be checkpointed.</para>
/// <para>Per step: 2 forward passes, 3 sweeps (+εD, −2εD, restore and update fused), each doing
/// r multiply-adds per matrix element instead of generating a Gaussian; plus a thin QR of every
/// matrix every T steps.</para>
/// <para><b>Memory:</b> U and Vᵀ, Σ (m+n)·r fp32 values over the matrices (<see cref="StateBytes"/>),
/// in managed arrays.</para>
/// </remarks>
public sealed class SubZeroOptimizer : ZerothOrderOptimizer<SubZeroOptions>
{
    private readonly SubspaceSweep _subspace;
    private long _period = -1;

    private SubZeroOptimizer(PerturbationSweep sweep, SubZeroOptions options)
        : base(sweep, options)
    {
        var basis = SubspaceBasis.Create(sweep.Store.Manifest, options.Rank, options.ReshapeNearSquare);
        _subspace = new SubspaceSweep(sweep, basis);
    }

    /// <summary>The current subspaces.</summary>
    public SubspaceBasis Basis => _subspace.Basis;

    public override string Name => "subzero";

    public override int ForwardPassesPerStep => 2;

    public override long StateBytes => Basis.StateBytes;

    /// <summary>Creates the optimizer over <paramref name="sweep"/>'s weights.</summary>
    public static SubZeroOptimizer Create(PerturbationSweep sweep, SubZeroOptions? options = null) => new(sweep, options ?? new SubZeroOptions());

    protected override void StepCore(StepContext context)
    {
        long interval = Options.RefreshInterval;
        long period = context.Step / interval;
        if (context.Step % interval == 0)
        {
            ulong subspaceSeed = context.NextSeed();
            if (period != _period) Refresh(subspaceSeed, period);
        }
        else if (period != _period)
        {
            // Resumed mid-period: the seed the period's first step drew (its seed number 0).
            Refresh(SquaresRng.DeriveSeed(Options.Seed, period * interval, 0), period);
        }

        var (seed, probe) = ProbeNewDirection(context);
        context.Set("loss", probe.MeanLoss);
        double decay = 1 - context.LearningRate * Options.WeightDecay;
        _subspace.Apply([new SweepTerm(seed, -context.LearningRate * probe.Gradient)], decay, restore: new SweepTerm(seed, Options.Epsilon));
    }

    /// <summary>SubZero probes along its low-rank directions U·Z·Vᵀ (Gaussian z for tensors that are not matrices).</summary>
    protected override void Perturb(ReadOnlySpan<SweepTerm> terms) => _subspace.Apply(terms);

    public override void LoadState(JsonObject state)
    {
        base.LoadState(state);
        _period = -1; // regenerate for the restored step's period on the next step
    }

    private void Refresh(ulong seed, long period)
    {
        Basis.Regenerate(seed);
        _period = period;
    }
}
