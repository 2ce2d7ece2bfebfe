namespace Bszo.Models.Training;

/// <summary>
/// When a run looks at its own progress: dev evaluations, early stopping and checkpoints. None of
/// it changes the trajectory (that is the <see cref="RunSpec"/>'s), only what is measured and kept.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Evaluate on dev every this many steps (and after the last step). Null: five times per run, as MeZO does.</summary>
    public long? EvalEvery { get; init; }

    /// <summary>Examples per forward pass during evaluation.</summary>
    public int EvalBatchSize { get; init; } = 32;

    /// <summary>Stop after this many evaluations in a row without a better dev score. Null: never stop early.</summary>
    public int? Patience { get; init; }

    /// <summary>Save a resumable checkpoint every this many steps (and after the last step). Null: at every evaluation.</summary>
    public long? CheckpointEvery { get; init; }

    /// <summary>Complete checkpoints kept (older ones are deleted).</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Effective evaluation interval in a run of <paramref name="steps"/> steps.</summary>
    public long EvalInterval(long steps) => Math.Max(1, EvalEvery ?? Math.Max(1, steps / 5));

    /// <summary>Effective checkpoint interval in a run of <paramref name="steps"/> steps.</summary>
    public long CheckpointInterval(long steps) => Math.Max(1, CheckpointEvery ?? EvalInterval(steps));

    /// <summary>Whether the dev set is evaluated after <paramref name="completed"/> of <paramref name="steps"/> steps.</summary>
    public bool IsEvalPoint(long completed, long steps) => completed > 0 && (completed % EvalInterval(steps) == 0 || completed == steps);

    /// <summary>Whether a checkpoint is written after <paramref name="completed"/> of <paramref name="steps"/> steps.</summary>
    public bool IsCheckpointPoint(long completed, long steps) => completed > 0 && (completed % CheckpointInterval(steps) == 0 || completed == steps);
}
