namespace Bszo.Cluster.Coordinator;

/// <summary>Kinds of <see cref="ClusterEvent"/>.</summary>
public enum ClusterEventKind
{
    /// <summary>A worker connected (first time or after a restart); it now catches up.</summary>
    WorkerJoined,

    /// <summary>A worker became a member at a step boundary (its checksum matched).</summary>
    WorkerAdmitted,

    /// <summary>A worker was declared dead or stalled and dropped.</summary>
    WorkerLost,

    /// <summary>A step's record was appended to the trajectory.</summary>
    StepCompleted,

    /// <summary>Fewer workers than the minimum are left; the run waits at a step boundary.</summary>
    Paused,

    /// <summary>The run reached its last step and all weights agree.</summary>
    RunCompleted,

    /// <summary>The run stopped with an error.</summary>
    RunFailed,
}

/// <summary>Something that happened in a run, for progress displays and logs.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Step">The step it happened at.</param>
/// <param name="Worker">The worker concerned, if any.</param>
/// <param name="Members">Workers taking part after the event.</param>
/// <param name="Loss">For <see cref="ClusterEventKind.StepCompleted"/>: the step's reported loss.</param>
/// <param name="Detail">A human-readable reason or error.</param>
public sealed record ClusterEvent(ClusterEventKind Kind, long Step, string? Worker, int Members, double Loss = double.NaN, string? Detail = null);
