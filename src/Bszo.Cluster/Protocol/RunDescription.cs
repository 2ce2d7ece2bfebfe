namespace Bszo.Cluster.Protocol;

/// <summary>What a worker needs before it can build its training session.</summary>
[GenerateSerializer]
[Immutable]
[Alias("bszo.cluster.RunDescription")]
public sealed record RunDescription
{
    [Id(0)]
    public required string RunName { get; init; }

    /// <summary>The <c>ClusterTrainingSpec</c> as JSON: the run's spec (optimizer, steps, batches) and the checksum and snapshot intervals.</summary>
    [Id(1)]
    public required string SpecJson { get; init; }

    /// <summary>
    /// Where the model, the task and its data come from, as the program that started the run describes
    /// them (for <c>bszo finetune</c>: its resolved options); a worker loads them the same way.
    /// </summary>
    [Id(4)]
    public required string SetupJson { get; init; }

    /// <summary>How often the worker must send heartbeats (a fifth of the coordinator's timeout).</summary>
    [Id(2)]
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest the coordinator can leave a worker waiting before it decides something (stall plus pause timeouts).</summary>
    [Id(3)]
    public TimeSpan WaitLimit { get; init; } = TimeSpan.FromMinutes(15);
}
