using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>Options of <see cref="MezoOptimizer"/>. Defaults are MeZO's full-parameter recipe for OPT (Malladi et al., 2023).</summary>
public sealed record MezoOptions : OptimizerOptions
{
    /// <summary>Directions averaged per step (n-SPSA). MeZO found n = 1 the most efficient per forward pass.</summary>
    public int Directions { get; init; } = 1;

    /// <summary>
    /// One-sided differences [L(θ+εz) − L(θ)]/ε with one shared clean evaluation, instead of MeZO's
    /// two-sided [L(θ+εz) − L(θ−εz)]/2ε.
    /// </summary>
    public bool OneSided { get; init; }

    public override void Validate()
    {
        base.Validate();
        Require(Directions >= 1, "directions", "≥ 1", Directions);
    }
}

/// <summary>
/// MeZO: ZO-SGD with simultaneous-perturbation (SPSA) gradient estimates, in the memory of inference.
/// </summary>
/// <remarks>
/// Per direction j with seed sⱼ: θ+εz → L₊, θ−εz → L₋, gⱼ = (L₊ − L₋)/2ε, and the update is
/// θ ← θ − η(Σⱼ gⱼzⱼ/n + λθ). The restore of the last direction and the update are one fused sweep,
/// as is the restore of direction j with the perturbation along j+1: 2n+1 sweeps for 2n forward passes.
/// </remarks>
public sealed class MezoOptimizer : ZerothOrderOptimizer<MezoOptions>
{
    private readonly SweepTerm[] _update;

    private MezoOptimizer(IWeightMutator mutator, MezoOptions options)
        : base(mutator, options)
    {
        _update = new SweepTerm[options.Directions];
    }

    public override string Name => Options.OneSided ? "mezo-1s" : "mezo";

    public override int ForwardPassesPerStep => Options.OneSided ? Options.Directions + 1 : 2 * Options.Directions;

    /// <summary>Creates the optimizer over the weights <paramref name="mutator"/> sweeps, on the host or on a device.</summary>
    public static MezoOptimizer Create(IWeightMutator mutator, MezoOptions? options = null) => new(mutator, options ?? new MezoOptions());

    protected override void StepCore(StepContext context)
    {
        double eps = Options.Epsilon;
        int n = Options.Directions;
        double lr = context.LearningRate;
        double decay = 1 - lr * Options.WeightDecay;
        double clean = Options.OneSided ? context.Loss() : double.NaN;
        if (Options.OneSided) context.Set("loss", clean);

        // After the "+" (one-sided) or "−" (two-sided) evaluation the weights sit at θ ∓ εz; this
        // term brings them back to θ.
        double restore = Options.OneSided ? -eps : eps;
        ulong previous = 0;
        double lossSum = 0;
        for (int j = 0; j < n; j++)
        {
            ulong seed = context.NextSeed();
            // The previous direction is restored in the same pass that perturbs along this one.
            SweepTerm? restorePrevious = j == 0 ? null : new SweepTerm(previous, restore);
            double g;
            if (Options.OneSided)
            {
                if (restorePrevious is { } r) Perturb([r, new SweepTerm(seed, eps)]);
                else Perturb([new SweepTerm(seed, eps)]);
                g = Clip((context.Loss() - clean) / eps);
            }
            else
            {
                var probe = ProbeTwoSided(context, seed, restorePrevious);
                g = probe.Gradient;
                lossSum += probe.MeanLoss;
            }
            context.Set(n == 1 ? "g" : $"g{j}", g);
            _update[j] = new SweepTerm(seed, -lr * g / n);
            previous = seed;
        }
        if (!Options.OneSided) context.Set("loss", lossSum / n);

        // Restore and update in one pass. Weight decay scales the current weights θ' = θ ∓ εz, so the
        // restore term is scaled with them on decayable tensors: θ_new = d·(θ' + restore·z) − η·Σ gⱼzⱼ/n.
        _update[n - 1] = _update[n - 1] with { DecayedCoefficient = restore };
        Mutator.Apply(_update.AsSpan(0, n), decay);
    }
}
