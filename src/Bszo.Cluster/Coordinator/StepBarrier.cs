namespace Bszo.Cluster.Coordinator;

/// <summary>Workers gathering at the boundary before one step, with their weight checksums.</summary>
internal sealed class StepBarrier(long step, TimeSpan now)
{
    private readonly Dictionary<string, string?> _arrivals = new(StringComparer.Ordinal);

    public long Step { get; } = step;

    public TimeSpan OpenedAt { get; } = now;

    /// <summary>Whether the lead ends the run here.</summary>
    public bool EndRequested { get; set; }

    /// <summary>Since when too few workers were present (the run is paused), or null.</summary>
    public TimeSpan? ShortSince { get; set; }

    public TaskCompletionSource<BarrierOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyDictionary<string, string?> Arrivals => _arrivals;

    /// <summary>Records an arrival; a repeated call keeps the checksum it already gave unless it gives one now.</summary>
    public void Arrive(string worker, string? checksum)
    {
        if (!_arrivals.TryGetValue(worker, out var known) || checksum is not null) _arrivals[worker] = checksum ?? known;
    }

    public void Leave(string worker) => _arrivals.Remove(worker);
}

/// <summary>How a barrier resolved: the step's members in rank order, or the end of the run.</summary>
internal sealed record BarrierOutcome(long Step, IReadOnlyList<string> Participants, bool Final, string? Error = null);
