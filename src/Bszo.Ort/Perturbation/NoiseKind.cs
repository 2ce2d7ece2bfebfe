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

/// <summary>Noise kinds as the command line, config files and trajectory headers spell them.</summary>
public static class NoiseKinds
{
    /// <summary>The lower-case name of <paramref name="noise"/> ("gaussian", "rademacher").</summary>
    public static string Name(NoiseKind noise) => noise == NoiseKind.Rademacher ? "rademacher" : "gaussian";

    /// <summary>Reads a name written by <see cref="Name"/> (any case); <paramref name="source"/> says where it came from in the error.</summary>
    public static NoiseKind Parse(string text, string source = "--noise")
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "gaussian" => NoiseKind.Gaussian,
            "rademacher" => NoiseKind.Rademacher,
            _ => throw new BszoException(BszoException.Format($"Unknown noise '{text}' in {source}.", "gaussian or rademacher", text,
                "--noise gaussian draws z ~ N(0, I) as the published methods do; --noise rademacher draws ±1 per element.")),
        };
    }
}
