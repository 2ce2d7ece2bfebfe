using Bszo.Models.Training;

namespace Bszo.Cluster.Worker;

/// <summary>Options of one worker process.</summary>
public sealed record ClusterWorkerOptions
{
    /// <summary>The coordinator's gateway, "host:port" (an IP address or a name that resolves to one).</summary>
    public required string Coordinator { get; init; }

    /// <summary>The run to take part in (the coordinator's run name).</summary>
    public string RunName { get; init; } = "default";

    /// <summary>This worker's stable name; a restarted worker must reuse it. Ranks (and so shards) follow name order.</summary>
    public required string WorkerName { get; init; }

    /// <summary>This worker's own directory for weight snapshots and its summary.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>
    /// Builds what the worker trains from the run's spec and the coordinator's setup description
    /// (<see cref="Protocol.RunDescription.SetupJson"/>): the model, the task and its examples, and this
    /// worker's runtime settings, loaded the way the program that started the run loads them.
    /// </summary>
    public required Func<RunSpec, string, TrainingSetup> Setup { get; init; }

    /// <summary>How long to keep trying to reach the coordinator (at start and after losing it).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Times the worker may start over from a snapshot (after an eviction or a lost connection) before giving up.</summary>
    public int MaxRejoins { get; init; } = 10;

    /// <summary>Human-readable progress (joins, catch-ups, evictions); null: silent.</summary>
    public Action<string>? Log { get; init; }
}
