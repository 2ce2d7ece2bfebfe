namespace Bszo.Cluster.Coordinator;

/// <summary>How a run ended, as the coordinator saw it.</summary>
public sealed record ClusterRunSummary
{
    public required string RunName { get; init; }

    public required RunState State { get; init; }

    /// <summary>Steps in the trajectory log.</summary>
    public required long Steps { get; init; }

    /// <summary>The weights' checksum every worker reported at the end.</summary>
    public string? FinalChecksum { get; init; }

    /// <summary>Workers taking part at the end.</summary>
    public required IReadOnlyList<string> Members { get; init; }

    public string? Error { get; init; }

    /// <summary>Wall time from the coordinator's start to the end of the run.</summary>
    public required TimeSpan Elapsed { get; init; }

    public required TrafficReport Traffic { get; init; }
}
