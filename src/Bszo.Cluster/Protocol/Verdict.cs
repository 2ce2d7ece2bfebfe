namespace Bszo.Cluster.Protocol;

/// <summary>What a worker must do after a coordinator reply.</summary>
[GenerateSerializer]
[Alias("bszo.cluster.Verdict")]
public enum Verdict
{
    /// <summary>Proceed: run the step, or use the returned loss.</summary>
    Go,

    /// <summary>Nothing decided within the hold time: repeat the same call.</summary>
    Retry,

    /// <summary>The run is ahead of this worker: fetch and replay records, then ask again.</summary>
    CatchUp,

    /// <summary>The run has finished and this worker's weights match everyone's.</summary>
    Done,

    /// <summary>This worker is no longer a member (it was declared dead or stalled): rejoin from a snapshot.</summary>
    Evicted,

    /// <summary>The run has stopped with an error (see the reply's error text).</summary>
    Failed,
}
