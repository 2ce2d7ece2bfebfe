namespace Bszo.Ort.Optimizers;

/// <summary>Shape of the learning rate over a run (after any linear warm-up).</summary>
public enum ScheduleKind
{
    /// <summary>η at every step (what MeZO and BSZO use).</summary>
    Constant,

    /// <summary>Linear decay from η to 0 over the run.</summary>
    Linear,

    /// <summary>Cosine decay from η to 0 over the run.</summary>
    Cosine,
}
