using System.Globalization;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// Settings every zeroth-order optimizer shares. A method's options record derives from this one;
/// <see cref="OptimizerDescriptor.Configure"/> builds it from the method's defaults and <c>key=value</c>
/// overrides, and its JSON (<see cref="OptimizerOptionsJson"/>) is what trajectory headers record.
/// </summary>
public abstract record OptimizerOptions
{
    /// <summary>Base learning rate η.</summary>
    public double LearningRate { get; init; } = 1e-6;

    /// <summary>Perturbation scale ε.</summary>
    public double Epsilon { get; init; } = 1e-3;

    /// <summary>Decoupled weight decay (applied to decayable tensors only, inside the update sweep).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Run seed; every step's seeds derive from it and the step index.</summary>
    public ulong Seed { get; init; }

    /// <summary>Shape of the learning rate over the run.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Constant;

    /// <summary>Steps of linear warm-up from 0 to η.</summary>
    public long WarmupSteps { get; init; }

    /// <summary>Total steps of the run (decaying schedules end at 0 there).</summary>
    public long TotalSteps { get; init; } = 1000;

    /// <summary>If set, projected gradients are clipped to [−c, c] before the update.</summary>
    public double? ClipProjectedGradient { get; init; }

    /// <summary>The scheduled learning rate of step <paramref name="step"/> (zero-based).</summary>
    public double LearningRateAt(long step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return LearningRate * (step + 1) / WarmupSteps;
        if (Schedule == ScheduleKind.Constant || TotalSteps <= WarmupSteps) return LearningRate;
        double progress = Math.Clamp((double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps), 0, 1);
        return Schedule switch
        {
            ScheduleKind.Linear => LearningRate * (1 - progress),
            ScheduleKind.Cosine => LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            _ => LearningRate,
        };
    }

    /// <summary>Checks the values; throws <see cref="BszoException"/> naming the bad option.</summary>
    public virtual void Validate()
    {
        Require(LearningRate >= 0 && double.IsFinite(LearningRate), "learning rate", "a finite value ≥ 0", LearningRate);
        Require(Epsilon > 0 && double.IsFinite(Epsilon), "epsilon", "a finite value > 0", Epsilon);
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), "weight decay", "a finite value ≥ 0", WeightDecay);
        Require(Enum.IsDefined(Schedule), "schedule", "constant, linear or cosine", (double)Schedule);
        Require(WarmupSteps >= 0, "warm-up steps", "≥ 0", WarmupSteps);
        Require(TotalSteps > 0, "total steps", "> 0", TotalSteps);
        Require(ClipProjectedGradient is null or > 0, "projected-gradient clip", "> 0", ClipProjectedGradient ?? 0);
    }

    /// <summary>Throws a uniform error for an out-of-range option.</summary>
    protected static void Require(bool condition, string option, string expected, double found)
    {
        if (!condition) Throw.Bszo($"Invalid optimizer option: {option}.", expected, found.ToString(CultureInfo.InvariantCulture));
    }
}
