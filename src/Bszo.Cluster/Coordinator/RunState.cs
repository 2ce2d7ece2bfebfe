namespace Bszo.Cluster.Coordinator;

/// <summary>Where a run stands.</summary>
public enum RunState
{
    /// <summary>Waiting for workers or training.</summary>
    Running,

    /// <summary>All steps done; every worker's weights matched at the end.</summary>
    Completed,

    /// <summary>Stopped with an error (weights diverged, a loss became NaN, too few workers for too long).</summary>
    Failed,
}
