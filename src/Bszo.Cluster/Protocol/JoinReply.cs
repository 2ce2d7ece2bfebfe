namespace Bszo.Cluster.Protocol;

/// <summary>The coordinator's answer to <see cref="ICoordinatorGrain.Join"/>.</summary>
[GenerateSerializer]
[Immutable]
[Alias("bszo.cluster.JoinReply")]
public sealed record JoinReply
{
    [Id(0)]
    public required bool Accepted { get; init; }

    /// <summary>Changes with every join of the same name, so that calls of a previous life are told apart.</summary>
    [Id(1)]
    public int Incarnation { get; init; }

    /// <summary>Steps recorded so far: the worker replays up to here before it asks to begin a step.</summary>
    [Id(2)]
    public long RecordedSteps { get; init; }

    /// <summary>Why the worker was refused.</summary>
    [Id(3)]
    public string? Error { get; init; }
}
