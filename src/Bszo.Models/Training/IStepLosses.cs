using Bszo.Ort.Optimizers;

namespace Bszo.Models.Training;

/// <summary>
/// Where the losses of a run's training steps come from: this process's forward passes over each
/// step's batch (<see cref="LocalStepLosses"/>), or a cluster whose workers hold the rows. The
/// <see cref="Trainer"/> is the same either way.
/// </summary>
public interface IStepLosses
{
    /// <summary>Readies step <paramref name="stepIndex"/> (its batch bound, or the cluster's go-ahead) and returns the source of its losses.</summary>
    ILossEvaluator Begin(long stepIndex);

    /// <summary>The step <see cref="Begin"/> readied is over: <paramref name="record"/> is its record, or null when it failed.</summary>
    void Complete(StepRecord? record);

    /// <summary>The run ends after <paramref name="steps"/> steps (its last step, or early stopping); the trainer evaluates and saves next.</summary>
    void Finish(long steps);
}
