namespace Bszo.Models.Training;

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
