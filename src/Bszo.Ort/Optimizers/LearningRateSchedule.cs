namespace Bszo.Ort.Optimizers;

/// <summary>Shape of the learning rate over a run.</summary>
public enum ScheduleKind
{
    /// <summary>η at every step (what MeZO and BSZO use).</summary>
    Constant,

    /// <summary>Linear decay from η to 0 over the run.</summary>
    Linear,

    /// <summary>Cosine decay from η to 0 over the run.</summary>
    Cosine,
}

/// <summary>A learning-rate schedule with optional linear warm-up.</summary>
/// <param name="Kind">The decay shape.</param>
/// <param name="WarmupSteps">Steps of linear warm-up from 0 to η.</param>
public sealed record LearningRateSchedule(ScheduleKind Kind = ScheduleKind.Constant, long WarmupSteps = 0)
{
    /// <summary>The learning rate at <paramref name="step"/> for base rate <paramref name="baseRate"/> over <paramref name="totalSteps"/>.</summary>
    public double At(long step, double baseRate, long totalSteps)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return baseRate * (step + 1) / WarmupSteps;
        if (Kind == ScheduleKind.Constant || totalSteps <= WarmupSteps) return baseRate;
        double progress = Math.Clamp((double)(step - WarmupSteps) / Math.Max(1, totalSteps - WarmupSteps), 0, 1);
        return Kind switch
        {
            ScheduleKind.Linear => baseRate * (1 - progress),
            ScheduleKind.Cosine => baseRate * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            _ => baseRate,
        };
    }
}
