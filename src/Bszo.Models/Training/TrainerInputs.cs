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

/// <summary>Time spent in a session's training steps.</summary>
/// <param name="Steps">Steps run live (not replayed) in this session.</param>
/// <param name="StepSeconds">Wall time of those steps (collate, forward passes, sweeps, logging).</param>
/// <param name="ForwardSeconds">Time inside forward passes.</param>
/// <param name="SweepSeconds">Time inside perturbation sweeps.</param>
/// <param name="TimeToFirstStep">From the start of <see cref="Trainer.Run"/> to the end of the first live step.</param>
/// <param name="ReplaySeconds">Time spent replaying trajectory records on resume.</param>
public sealed record LoopTimings(long Steps, double StepSeconds, double ForwardSeconds, double SweepSeconds, TimeSpan? TimeToFirstStep, double ReplaySeconds)
{
    /// <summary>Time of the loop itself: collate, bind, logging, bookkeeping.</summary>
    public double OverheadSeconds => Math.Max(0, StepSeconds - ForwardSeconds - SweepSeconds);
}

/// <summary>The outcome of a run.</summary>
public sealed record TrainingResult
{
    public required EvalResultSummary ZeroShotDev { get; init; }

    public required EvalResultSummary ZeroShotTest { get; init; }

    public required EvalResultSummary BestDev { get; init; }

    public required EvalResultSummary FineTunedTest { get; init; }

    /// <summary>Steps completed.</summary>
    public long Steps { get; init; }

    /// <summary>Whether early stopping ended the run.</summary>
    public bool StoppedEarly { get; init; }

    /// <summary>Training forward passes over the whole run.</summary>
    public long ForwardPasses { get; init; }

    /// <summary>SHA-256 of the best weights.</summary>
    public string BestWeightsSha256 { get; init; } = "";

    /// <summary>SHA-256 of the weights after the last step.</summary>
    public string FinalWeightsSha256 { get; init; } = "";

    /// <summary>Where the best weights are (null: the base weights).</summary>
    public string? BestWeightsDirectory { get; init; }

    /// <summary>This session's loop timings.</summary>
    public required LoopTimings Timings { get; init; }

    /// <summary>Peak resident memory.</summary>
    public long PeakRssBytes { get; init; }
}

/// <summary>One evaluation's headline numbers.</summary>
public sealed record EvalResultSummary(long Step, double Loss, double Metric, string MetricName, int Examples);
