namespace Bszo.Cluster.Protocol;

/// <summary>What a worker needs before it can build its training session.</summary>
[GenerateSerializer]
[Immutable]
[Alias("bszo.cluster.RunDescription")]
public sealed record RunDescription
{
    [Id(0)]
    public required string RunName { get; init; }

    /// <summary>The <c>ClusterTrainingSpec</c> as JSON: optimizer, steps, minibatch, intervals.</summary>
    [Id(1)]
    public required string SpecJson { get; init; }

    /// <summary>How often the worker must send heartbeats (a fifth of the coordinator's timeout).</summary>
    [Id(2)]
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest the coordinator can leave a worker waiting before it decides something (stall plus pause timeouts).</summary>
    [Id(3)]
    public TimeSpan WaitLimit { get; init; } = TimeSpan.FromMinutes(15);
}
