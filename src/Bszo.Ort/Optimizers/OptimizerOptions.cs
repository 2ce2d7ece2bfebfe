namespace Bszo.Ort.Optimizers;

/// <summary>Settings every zeroth-order optimizer shares.</summary>
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

    /// <summary>Learning-rate schedule.</summary>
    public LearningRateSchedule Schedule { get; init; } = new();

    /// <summary>Total steps of the run (for decaying schedules).</summary>
    public long TotalSteps { get; init; } = 1000;

    /// <summary>If set, projected gradients are clipped to [−c, c] before the update.</summary>
    public double? ClipProjectedGradient { get; init; }

    /// <summary>Checks the values; throws <see cref="BszoException"/> naming the bad option.</summary>
    public virtual void Validate()
    {
        Require(LearningRate >= 0 && double.IsFinite(LearningRate), "learning rate", "a finite value ≥ 0", LearningRate);
        Require(Epsilon > 0 && double.IsFinite(Epsilon), "epsilon", "a finite value > 0", Epsilon);
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), "weight decay", "a finite value ≥ 0", WeightDecay);
        Require(TotalSteps > 0, "total steps", "> 0", TotalSteps);
        Require(ClipProjectedGradient is null or > 0, "projected-gradient clip", "> 0", ClipProjectedGradient ?? 0);
    }

    /// <summary>Throws a uniform error for an out-of-range option.</summary>
    protected static void Require(bool condition, string option, string expected, double found)
    {
        if (!condition) Throw.Bszo($"Invalid optimizer option: {option}.", expected, found.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
