namespace Bszo.Ort.Optimizers;

/// <summary>How BSZO chooses the observations beyond the k coordinate-axis samples.</summary>
public enum BszoVariant
{
    /// <summary>
    /// BSZO (paper Algorithm 1, official code <c>bszo_v3</c>): re-use the cached finite difference of the
    /// most uncertain axis (largest Σᵢᵢ). No extra forward pass: k+1 forwards per step.
    /// </summary>
    Cached,

    /// <summary>
    /// BSZO-B (paper Algorithm 2, official code <c>bszo_v4</c>): measure along the principal eigenvector
    /// of Σ with a new forward pass: 1+m forwards per step.
    /// </summary>
    Basic,
}

/// <summary>When the observation-noise estimate σₑ² is updated from residuals.</summary>
public enum NoiseUpdateRule
{
    /// <summary>
    /// After every observation, the k axis samples included: the paper's eq. 13 ("after the τ-th
    /// sample"), its Algorithm 2 and §3.4, and the official code, whose runs produced every table.
    /// The default.
    /// </summary>
    EverySample,

    /// <summary>
    /// Only on the adaptive samples beyond the first k: the paper's Algorithm 1 listing. The k axis
    /// samples then all see the same σₑ, so their posterior variances tie and the noise estimate moves
    /// once per step.
    /// </summary>
    AdaptiveSamples,
}

/// <summary>
/// Options of <see cref="BszoOptimizer"/>. Defaults are the paper's (Feng &amp; Huang, 2026, "Adaptive
/// Bayesian Subspace Zeroth-Order Optimization", §5.1 and App. C): k = 2, m = k+1 = 3, ε = 1e-4, noise EMA
/// α = 0.1, σₚ = σₑ⁰ = √(n/10⁶) with n the number of trainable scalars, σₑ updated after every sample and
/// floored at 0.1·σₑ⁰.
/// </summary>
public sealed record BszoOptions : OptimizerOptions
{
    public BszoOptions() => Epsilon = 1e-4;

    /// <summary>k: random directions (the subspace dimension) per step.</summary>
    public int SubspaceDimension { get; init; } = 2;

    /// <summary>m: observations per step (k axis samples plus m − k adaptive ones).</summary>
    public int Samples { get; init; } = 3;

    /// <summary>Cached (BSZO) or basic (BSZO-B) adaptive samples.</summary>
    public BszoVariant Variant { get; init; } = BszoVariant.Cached;

    /// <summary>Residual-adaptive observation noise; off keeps σₑ at its initial value.</summary>
    public bool AdaptiveNoise { get; init; } = true;

    /// <summary>Which observations update σₑ² (see <see cref="NoiseUpdateRule"/>).</summary>
    public NoiseUpdateRule NoiseUpdate { get; init; } = NoiseUpdateRule.EverySample;

    /// <summary>EMA weight α of squared normalised residuals in σₑ².</summary>
    public double NoiseEmaAlpha { get; init; } = 0.1;

    /// <summary>Prior standard deviation σₚ; null: √(n/10⁶).</summary>
    public double? PriorStd { get; init; }

    /// <summary>Initial noise standard deviation σₑ⁰; null: equal to σₚ.</summary>
    public double? InitialNoiseStd { get; init; }

    /// <summary>
    /// σₑ never falls below this fraction of σₑ⁰. The floor bounds the σₑ the posterior uses, not the
    /// running mean of squared residuals behind it (as the official code does), so a long quiet stretch
    /// is remembered as quiet: a later residual must exceed the floor by itself to raise σₑ.
    /// </summary>
    public double NoiseFloorFraction { get; init; } = 0.1;

    public override void Validate()
    {
        base.Validate();
        Require(SubspaceDimension >= 1, "subspace dimension k", "≥ 1", SubspaceDimension);
        Require(Samples >= SubspaceDimension, "samples m", $"≥ k = {SubspaceDimension}", Samples);
        Require(NoiseEmaAlpha is > 0 and < 1, "noise EMA α", "in (0, 1)", NoiseEmaAlpha);
        Require(PriorStd is null or > 0, "prior σ", "> 0", PriorStd ?? 0);
        Require(InitialNoiseStd is null or > 0, "initial noise σ", "> 0", InitialNoiseStd ?? 0);
        Require(NoiseFloorFraction is >= 0 and <= 1, "noise floor fraction", "in [0, 1]", NoiseFloorFraction);
    }
}
