using Bszo.Cluster.Data;
using Bszo.Models.Training;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;

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

    /// <summary>Directory of the prepared model (manifest.json, training graph, base weights), the same on every machine.</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>This worker's own directory for weight snapshots and its summary.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Opens this machine's copy of the data once the run's spec (batch size and order) is known.</summary>
    public required Func<RunSpec, ShardedBatchSource> OpenData { get; init; }

    /// <summary>ONNX Runtime settings (device, threads) of this worker's session.</summary>
    public SessionSettings Session { get; init; } = new();

    /// <summary>Sweep threads on this worker.</summary>
    public SweepOptions Sweep { get; init; } = new();

    /// <summary>How long to keep trying to reach the coordinator (at start and after losing it).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Times the worker may start over from a snapshot (after an eviction or a lost connection) before giving up.</summary>
    public int MaxRejoins { get; init; } = 10;

    /// <summary>Human-readable progress (joins, catch-ups, evictions); null: silent.</summary>
    public Action<string>? Log { get; init; }
}
