namespace Bszo.Cluster.Coordinator;

/// <summary>A snapshot of a run, as the coordinator sees it.</summary>
public sealed record ClusterStatus
{
    public required RunState State { get; init; }

    /// <summary>Steps in the trajectory log.</summary>
    public required long StepsRecorded { get; init; }

    /// <summary>Workers taking part in steps.</summary>
    public required IReadOnlyList<string> Members { get; init; }

    /// <summary>Workers connected and catching up.</summary>
    public required IReadOnlyList<string> Joining { get; init; }

    public string? Error { get; init; }

    /// <summary>The weights' checksum that every worker reported at the end.</summary>
    public string? FinalChecksum { get; init; }
}
