using System.Text.Json.Nodes;
using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// BSZO, Adaptive Bayesian Subspace Zeroth-Order optimization (Feng &amp; Huang, 2026): a Kalman filter
/// over a random k-dimensional subspace fuses several one-sided finite differences per step, with
/// residual-adaptive observation noise, and updates θ ← θ − η·Σᵢ μᵢzᵢ with the posterior mean μ.
/// </summary>
/// <remarks>
/// <para>One step (k = 2, m = 3, cached variant), every mutation a single fused sweep:</para>
/// <code>
/// f₀ = L(θ)                                   prior μ = 0, Σ = σₚ²I
/// sweep {(s₁,+ε)}            y₁ = (L − f₀)/ε   update σₑ² from y₁ − μ₁; observe e₁
/// sweep {(s₁,−ε),(s₂,+ε)}    y₂ = (L − f₀)/ε   update σₑ² from y₂ − μ₂; observe e₂
/// j = argmax Σⱼⱼ, re-use yⱼ                   update σₑ² from yⱼ − μⱼ; observe eⱼ again
/// sweep {(s₂,−ε),(s₁,−ημ₁),(s₂,−ημ₂)}        restore and update in one pass
/// </code>
/// <para>σₑ² moves after every sample (eq. 13, and the official code), so the axes observed while
/// σₑ was larger keep more posterior variance and the extra sample goes to the most uncertain of
/// them; <see cref="NoiseUpdateRule.AdaptiveSamples"/> restores the Algorithm 1 listing, under which
/// the axis samples tie. A burst of large |y| raises σₑ² within the step it starts, shrinking μ
/// towards 0 (the damping of §3.4).</para>
/// <para>The posterior is reset every step; the running mean of squared residuals behind σₑ²
/// persists across steps (it is checkpointed). All posterior algebra is in double precision
/// (<see cref="SubspacePosterior"/>).</para>
/// </remarks>
public sealed class BszoOptimizer : ZerothOrderOptimizer<BszoOptions>
{
    private readonly SubspacePosterior _posterior;
    private readonly ulong[] _seeds;
    private readonly double[] _axisObservations;
    private readonly double[] _direction;
    private readonly double[] _pendingRestore; // coefficient of each zᵢ that undoes the current perturbation
    private readonly List<SweepTerm> _terms;
    private readonly double _priorVariance;
    private readonly double _initialNoiseVariance;
    private readonly double _noiseFloorVariance;
    private double _residualSquareMean; // the EMA of squared normalised residuals: persists across steps, never floored

    private BszoOptimizer(IWeightMutator mutator, BszoOptions options)
        : base(mutator, options)
    {
        int k = options.SubspaceDimension;
        _posterior = new SubspacePosterior(k);
        _seeds = new ulong[k];
        _axisObservations = new double[k];
        _direction = new double[k];
        _pendingRestore = new double[k];
        _terms = new List<SweepTerm>(k + 1);
        double n = mutator.ElementCount;
        double priorStd = options.PriorStd ?? Math.Sqrt(n / 1e6);
        double noiseStd = options.InitialNoiseStd ?? priorStd;
        _priorVariance = priorStd * priorStd;
        _initialNoiseVariance = noiseStd * noiseStd;
        double floor = options.NoiseFloorFraction * noiseStd;
        _noiseFloorVariance = floor * floor;
        _residualSquareMean = _initialNoiseVariance;
    }

    /// <summary>
    /// The observation-noise variance σₑ² the posterior uses now: the running mean of squared
    /// residuals, floored (σₑ ≥ floor·σₑ⁰); σₑ⁰² when adaptive noise is off.
    /// </summary>
    public double NoiseVariance => Options.AdaptiveNoise ? Math.Max(_noiseFloorVariance, _residualSquareMean) : _initialNoiseVariance;

    /// <summary>The running mean of squared normalised residuals behind σₑ² (persists across steps; not floored).</summary>
    public double ResidualSquareMean => _residualSquareMean;

    /// <summary>σₚ² in effect (after the automatic choice).</summary>
    public double PriorVariance => _priorVariance;

    public override string Name => Options.Variant == BszoVariant.Cached ? "bszo" : "bszo-b";

    public override int ForwardPassesPerStep =>
        Options.Variant == BszoVariant.Cached ? Options.SubspaceDimension + 1 : Options.Samples + 1;

    /// <summary>k seeds, μ, Σ and scratch: O(k²) doubles.</summary>
    public override long StateBytes => StateBytesFor(Options);

    /// <summary>Optimizer state for <paramref name="options"/>: independent of the model size.</summary>
    public static long StateBytesFor(BszoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        long k = options.SubspaceDimension;
        return sizeof(double) * (k * k + 5 * k + 1);
    }

    /// <summary>Creates the optimizer over the weights <paramref name="mutator"/> sweeps (host or device).</summary>
    public static BszoOptimizer Create(IWeightMutator mutator, BszoOptions? options = null) => new(mutator, options ?? new BszoOptions());

    protected override void StepCore(StepContext context)
    {
        int k = Options.SubspaceDimension;
        double eps = Options.Epsilon;
        bool updateOnAxes = Options.AdaptiveNoise && Options.NoiseUpdate == NoiseUpdateRule.EverySample;
        _posterior.Reset(_priorVariance);
        Array.Clear(_pendingRestore);

        double f0 = context.Loss();
        context.Set("loss", f0);

        // k axis samples: restore the previous direction and perturb along the next in one sweep.
        for (int i = 0; i < k; i++)
        {
            _seeds[i] = context.NextSeed();
            _terms.Clear();
            AddPendingRestore();
            _terms.Add(new SweepTerm(_seeds[i], eps));
            Mutator.Apply(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_terms));
            _pendingRestore[i] = -eps;

            double y = (context.Loss() - f0) / eps;
            _axisObservations[i] = y;
            Array.Clear(_direction);
            _direction[i] = 1;
            if (updateOnAxes) UpdateNoise(y - _posterior.Mean[i]);
            _posterior.Observe(_direction, y, NoiseVariance);
        }

        // m − k adaptive samples.
        for (int tau = k; tau < Options.Samples; tau++)
        {
            double y;
            if (Options.Variant == BszoVariant.Cached)
            {
                int j = _posterior.MostUncertainAxis();
                Array.Clear(_direction);
                _direction[j] = 1;
                y = _axisObservations[j];
            }
            else
            {
                _posterior.PrincipalDirection(_direction);
                _terms.Clear();
                AddPendingRestore();
                for (int i = 0; i < k; i++)
                {
                    if (Math.Abs(_direction[i]) <= 1e-10) continue; // as the reference implementation
                    Merge(_seeds[i], eps * _direction[i]);
                    _pendingRestore[i] = -eps * _direction[i];
                }
                // Σ stays diagonal, so d is an axis; re-measuring the axis just perturbed cancels to no sweep at all.
                _terms.RemoveAll(t => t.Coefficient == 0 && t.DecayedCoefficient == 0);
                if (_terms.Count > 0) Mutator.Apply(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_terms));
                y = (context.Loss() - f0) / eps;
            }
            double norm = 0;
            foreach (var d in _direction) norm += d * d;
            norm = Math.Sqrt(norm);
            if (Options.AdaptiveNoise) UpdateNoise((y - _posterior.Predict(_direction)) / norm);
            _posterior.Observe(_direction, y, NoiseVariance);
        }

        // Restore and update in one pass: θ_new = d·(θ' + restore) − η·Σ μᵢzᵢ, the restore scaled by
        // each tensor's own decay factor.
        double lr = context.LearningRate;
        double decay = 1 - lr * Options.WeightDecay;
        _terms.Clear();
        for (int i = 0; i < k; i++)
        {
            double mu = _posterior.Mean[i];
            context.Set($"mu{i}", mu);
            Merge(_seeds[i], -lr * mu, _pendingRestore[i]);
        }
        context.Set("sigma_e", Math.Sqrt(NoiseVariance));
        Mutator.Apply(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_terms), decay);
    }

    /// <summary>Adds the terms that undo the current perturbation to the sweep being built, and forgets them.</summary>
    private void AddPendingRestore()
    {
        for (int i = 0; i < Options.SubspaceDimension; i++)
        {
            if (_pendingRestore[i] != 0) Merge(_seeds[i], _pendingRestore[i]);
            _pendingRestore[i] = 0;
        }
    }

    /// <summary>Adds c·z(seed) (plus a decay-scaled part) to the sweep, combining with an existing term for the same seed.</summary>
    private void Merge(ulong seed, double coefficient, double decayed = 0)
    {
        for (int t = 0; t < _terms.Count; t++)
        {
            if (_terms[t].Seed == seed)
            {
                _terms[t] = new SweepTerm(seed, _terms[t].Coefficient + coefficient, _terms[t].DecayedCoefficient + decayed);
                return;
            }
        }
        _terms.Add(new SweepTerm(seed, coefficient, decayed));
    }

    /// <summary>r̄² ← (1−α)r̄² + α·r² (eq. 13); the floor applies to the σₑ read from it (<see cref="NoiseVariance"/>).</summary>
    private void UpdateNoise(double normalisedResidual)
    {
        double alpha = Options.NoiseEmaAlpha;
        _residualSquareMean = (1 - alpha) * _residualSquareMean + alpha * normalisedResidual * normalisedResidual;
    }

    public override JsonObject SaveState()
    {
        var state = base.SaveState();
        state["residualSquareMean"] = _residualSquareMean;
        return state;
    }

    public override void LoadState(JsonObject state)
    {
        base.LoadState(state);
        // Checkpoints written before the floor moved off the running mean stored the floored σₑ² as "noiseVariance".
        _residualSquareMean = (double?)state["residualSquareMean"] ?? (double?)state["noiseVariance"] ?? _initialNoiseVariance;
    }
}
