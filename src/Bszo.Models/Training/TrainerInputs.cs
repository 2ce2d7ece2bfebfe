namespace Bszo.Models.Training;

/// <summary>Everything <see cref="Trainer.Run"/> needs.</summary>
public sealed record TrainerInputs
{
    /// <summary>The run's spec, model, task, examples and runtime settings.</summary>
    public required TrainingSetup Setup { get; init; }

    /// <summary>The run directory.</summary>
    public required RunDirectory Run { get; init; }

    /// <summary>Evaluations, early stopping and checkpoints.</summary>
    public TrainingOptions Training { get; init; } = new();

    /// <summary>Continue the run in <see cref="Run"/> from its newest complete checkpoint and trajectory.</summary>
    public bool Resume { get; init; }

    /// <summary>
    /// Where training losses come from, given the trainer's <see cref="TrainingCore"/>; null: this
    /// process's own forward passes (<see cref="LocalStepLosses"/>). A cluster run's lead trainer gets
    /// them from its workers.
    /// </summary>
    public Func<TrainingCore, IStepLosses>? Losses { get; init; }
}
