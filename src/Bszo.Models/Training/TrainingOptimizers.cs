using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;

namespace Bszo.Models.Training;

/// <summary>
/// Creates the optimizer a run names, from the <see cref="OptimizerCatalog"/>: the one place where run
/// settings become optimizer options; every command (finetune, eval, export --from-log) goes through it.
/// </summary>
public static class TrainingOptimizers
{
    /// <summary>The optimizer used when a run names none: BSZO.</summary>
    public const string Default = "bszo";

    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. OptimizerCatalog.Names];

    /// <summary>
    /// <paramref name="settings"/> with every value the run left open filled in from the method's
    /// published defaults, so that what is logged (and replayed) never depends on a later version's defaults.
    /// </summary>
    public static OptimizerSettings Resolve(string name, OptimizerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var defaults = OptimizerCatalog.Get(name).DefaultOptions();
        return settings with
        {
            LearningRate = settings.LearningRate ?? defaults.LearningRate,
            Epsilon = settings.Epsilon ?? defaults.Epsilon,
        };
    }

    /// <summary>The optimizer <paramref name="name"/> over <paramref name="sweep"/>'s weights; the caller disposes it if it is <see cref="IDisposable"/>.</summary>
    public static ZerothOrderOptimizer Create(string name, PerturbationSweep sweep, OptimizerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        return OptimizerCatalog.Get(name).CreateOptimizer(sweep, Options(name, settings));
    }

    /// <summary>Checks a name and its settings without creating anything (so a command fails before doing work).</summary>
    public static void Validate(string name, OptimizerSettings settings) => Options(name, settings);

    /// <summary>The method's options: its defaults, the run's common settings, then its method-specific <c>key=value</c> options.</summary>
    public static OptimizerOptions Options(string name, OptimizerSettings settings)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(settings);
        var descriptor = OptimizerCatalog.Get(name);
        var resolved = Resolve(name, settings);
        var common = descriptor.DefaultOptions() with
        {
            LearningRate = resolved.LearningRate!.Value,
            Epsilon = resolved.Epsilon!.Value,
            WeightDecay = settings.WeightDecay,
            Seed = settings.Seed,
            TotalSteps = Math.Max(1, settings.TotalSteps),
            Schedule = settings.ToSchedule(),
            ClipProjectedGradient = settings.ClipProjectedGradient,
        };
        return OptimizerOptionsJson.Apply(common, settings.Extra);
    }
}
