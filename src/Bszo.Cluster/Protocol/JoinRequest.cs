namespace Bszo.Cluster.Protocol;

/// <summary>
/// A worker's request to take part, with what the coordinator checks before it accepts: the trajectory
/// header fields (the first accepted worker fixes them) and the fingerprint of its data.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("bszo.cluster.JoinRequest")]
public sealed record JoinRequest
{
    /// <summary>Stable worker name; a restarted worker reuses it (and its snapshot directory).</summary>
    [Id(0)]
    public required string Worker { get; init; }

    /// <summary>Optimizer name as it appears in trajectory headers ("mezo", "bszo", ...).</summary>
    [Id(1)]
    public required string Optimizer { get; init; }

    /// <summary>The run's spec as the worker will train it (<c>RunSpec.ToJson()</c>).</summary>
    [Id(2)]
    public required string OptionsJson { get; init; }

    /// <summary>SHA-256 of the base weights (from the prepared model's manifest).</summary>
    [Id(3)]
    public required string BaseWeightsSha256 { get; init; }

    [Id(4)]
    public required long TrainableElements { get; init; }

    /// <summary>Identifies the data and the minibatch rule; every worker must read the same examples.</summary>
    [Id(5)]
    public required string DataFingerprint { get; init; }
}
