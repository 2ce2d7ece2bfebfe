namespace Bszo.Cluster.Worker;

/// <summary>What one worker did, written as <c>worker.json</c> into its work directory.</summary>
public sealed record ClusterWorkerSummary
{
    public required string Worker { get; init; }

    /// <summary>Steps the worker's weights have taken at the end (the run's last step).</summary>
    public required long Steps { get; init; }

    /// <summary><c>WeightStore.Checksum()</c> of the final weights (equal on every worker).</summary>
    public required string FinalChecksum { get; init; }

    /// <summary>Steps this worker ran with forward passes.</summary>
    public required long TrainedSteps { get; init; }

    /// <summary>Steps applied by replaying records (catching up after a start or a rejoin).</summary>
    public required long ReplayedSteps { get; init; }

    /// <summary>Times the worker started over from a snapshot.</summary>
    public required int Rejoins { get; init; }

    /// <summary>Step of the snapshot the worker's last life started from (0: base weights).</summary>
    public required long StartedFromStep { get; init; }

    public required TimeSpan Elapsed { get; init; }
}
