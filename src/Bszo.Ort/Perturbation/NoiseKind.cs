namespace Bszo.Ort.Perturbation;

/// <summary>The distribution of every element of a random direction z.</summary>
/// <remarks>
/// Both have mean 0 and E[zzᵀ] = I, so every estimator built on them stays unbiased for the
/// smoothed gradient. Gaussian directions are what MeZO and BSZO are published with; Rademacher
/// directions are the classic SPSA choice, and cost one random bit per element instead of a Box–Muller
/// transform per pair.
/// </remarks>
public enum NoiseKind
{
    /// <summary>z ~ N(0, I) (<see cref="GaussianNoise"/>): the default.</summary>
    Gaussian,

    /// <summary>z ∈ {−1, +1}ⁿ, each sign equally likely (<see cref="RademacherNoise"/>).</summary>
    Rademacher,
}
