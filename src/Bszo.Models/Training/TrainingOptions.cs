namespace Bszo.Models.Training;

/// <summary>The shape of a training run: steps, batches, evaluation, early stopping and checkpoints.</summary>
public sealed record TrainingOptions
{
    /// <summary>Optimizer steps (MeZO: 20,000 for OPT).</summary>
    public long Steps { get; init; } = 1000;

    /// <summary>Examples per step (MeZO: 16).</summary>
    public int BatchSize { get; init; } = 16;

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

    /// <summary>Seed of the batch order (the batch of step t depends only on it and t).</summary>
    public ulong DataSeed { get; init; }

    /// <summary>
    /// When only the last part of the graph depends on trainable weights, compute the frozen rest
    /// once per example and run only the trainable tail on every forward pass (see <c>FrozenPrefix</c>).
    /// </summary>
    public bool CacheFrozenPrefix { get; init; } = true;

    /// <summary>
    /// What the optimizer minimises (<see cref="TrainingObjectives"/>): "loss", or "accuracy" / "f1",
    /// minus the task's score of each step's batch.
    /// </summary>
    public string Objective { get; init; } = TrainingObjectives.Loss;

    /// <summary>Effective evaluation interval.</summary>
    public long EvalInterval => Math.Max(1, EvalEvery ?? Math.Max(1, Steps / 5));

    /// <summary>Effective checkpoint interval.</summary>
    public long CheckpointInterval => Math.Max(1, CheckpointEvery ?? EvalInterval);

    /// <summary>Whether the dev set is evaluated after <paramref name="completed"/> steps.</summary>
    public bool IsEvalPoint(long completed) => completed > 0 && (completed % EvalInterval == 0 || completed == Steps);

    /// <summary>Whether a checkpoint is written after <paramref name="completed"/> steps.</summary>
    public bool IsCheckpointPoint(long completed) => completed > 0 && (completed % CheckpointInterval == 0 || completed == Steps);

    /// <summary>
    /// Whether the optimizer is flushed after <paramref name="completed"/> steps (before evaluating or
    /// saving). Flushes change the weights of deferred-update optimizers, so replay repeats them at
    /// exactly the same steps; the trajectory marks them.
    /// </summary>
    public bool IsFlushPoint(long completed) => IsEvalPoint(completed) || IsCheckpointPoint(completed);
}
