using Bszo.Ort;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;

namespace Bszo.Models.Training;

/// <summary>
/// Creates the optimizer a run names. This is the one place that maps optimizer names to
/// implementations; every command (finetune, eval, export --from-log) goes through it.
/// </summary>
public static class TrainingOptimizers
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mezo", "mezo-1s"];

    /// <summary>
    /// The optimizer <paramref name="name"/> over <paramref name="sweep"/>'s weights.
    /// "mezo" is MeZO's two-sided SPSA; "mezo-1s" its one-sided variant. Method options:
    /// <c>directions</c> (n-SPSA, default 1).
    /// </summary>
    public static ZerothOrderOptimizer Create(string name, PerturbationSweep sweep, OptimizerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var options = Options(name, settings);
        return options switch
        {
            MezoOptions mezo => MezoOptimizer.Create(sweep, mezo),
            _ => throw new InvalidOperationException($"No optimizer for {options.GetType().Name}."),
        };
    }

    /// <summary>Checks a name and its settings without creating anything (so a command fails before doing work).</summary>
    public static void Validate(string name, OptimizerSettings settings) => Options(name, settings).Validate();

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "Each optimizer brings its own options type; MeZO's is only the first.")]
    private static OptimizerOptions Options(string name, OptimizerSettings settings)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(settings);
        var key = name.Trim().ToLowerInvariant();
        switch (key)
        {
            case "mezo" or "mezo-1s":
                RejectUnknownOptions(key, settings, ["directions"]);
                return new MezoOptions
                {
                    LearningRate = settings.LearningRate,
                    Epsilon = settings.Epsilon,
                    WeightDecay = settings.WeightDecay,
                    Seed = settings.Seed,
                    TotalSteps = Math.Max(1, settings.TotalSteps),
                    Schedule = settings.ToSchedule(),
                    ClipProjectedGradient = settings.ClipProjectedGradient,
                    Directions = settings.ExtraInt("directions", 1),
                    OneSided = key == "mezo-1s",
                };
            default:
                throw new BszoException(BszoException.Format($"Unknown optimizer '{name}'.", $"one of {string.Join(", ", Names)}", name,
                    "`bszo finetune --help` lists the optimizers this build provides."));
        }
    }

    private static void RejectUnknownOptions(string name, OptimizerSettings settings, string[] known)
    {
        var unknown = settings.Extra.Keys.Where(k => !known.Contains(k, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw new BszoException(BszoException.Format($"Optimizer '{name}' has no option {string.Join(", ", unknown.Select(u => $"'{u}'"))}.",
                known.Length == 0 ? "no method options" : string.Join(", ", known), string.Join(", ", unknown)));
        }
    }
}
