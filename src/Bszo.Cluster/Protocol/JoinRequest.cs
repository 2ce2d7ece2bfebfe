namespace Bszo.Cluster.Protocol;

/// <summary>A worker's request to take part, with what the coordinator checks before it accepts.</summary>
[GenerateSerializer]
[Immutable]
[Alias("bszo.cluster.JoinRequest")]
public sealed record JoinRequest
{
    /// <summary>Stable worker name; a restarted worker reuses it (and its snapshot directory).</summary>
    [Id(0)]
    public required string Worker { get; init; }

    /// <summary>The base weights and training examples the worker loaded: they must be the run's.</summary>
    [Id(1)]
    public required RunFingerprint Fingerprint { get; init; }
}
