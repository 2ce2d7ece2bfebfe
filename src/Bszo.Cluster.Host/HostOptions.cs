using System.CommandLine;

namespace Bszo.Cluster.Host;

/// <summary>The command line of <c>bszo-cluster</c>: one option set for both roles.</summary>
internal static class HostOptions
{
    public static readonly Option<string> Role = new("--role") { Description = "coordinator or worker", Required = true };
    public static readonly Option<string> Run = new("--run") { Description = "Run name (the coordinator grain's key).", DefaultValueFactory = _ => "default" };

    // Coordinator: network.
    public static readonly Option<int> Port = new("--port") { Description = "Coordinator: gateway port workers connect to.", DefaultValueFactory = _ => 30000 };
    public static readonly Option<int?> SiloPort = new("--silo-port") { Description = "Coordinator: Orleans silo port (default: --port + 1)." };
    public static readonly Option<string> Listen = new("--listen") { Description = "Coordinator: address to listen on (0.0.0.0 for all interfaces).", DefaultValueFactory = _ => "127.0.0.1" };
    public static readonly Option<string?> Advertise = new("--advertise") { Description = "Coordinator: address workers use to reach this machine." };
    public static readonly Option<string?> RunDirectory = new("--run-dir") { Description = "Coordinator: directory of the trajectory log and run.json (resumed if present)." };

    // Coordinator: the run.
    public static readonly Option<string> Optimizer = new("--optimizer") { Description = "Any optimizer `bszo optimizers` lists.", DefaultValueFactory = _ => "bszo" };
    public static readonly Option<long> Steps = new("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => 1000 };
    public static readonly Option<double?> LearningRate = new("--lr") { Description = "Learning rate (default: the optimizer's)." };
    public static readonly Option<double?> Epsilon = new("--epsilon") { Description = "Perturbation scale ε (default: the optimizer's)." };
    public static readonly Option<ulong> Seed = new("--seed") { Description = "Run seed.", DefaultValueFactory = _ => 0UL };
    public static readonly Option<string[]> OptimizerOption = new("--optimizer-option") { Description = "Method-specific option key=value (repeatable), e.g. rank=4 for SubZero." };
    public static readonly Option<int> BatchSize = new("--batch-size") { Description = "Examples per step across all workers.", DefaultValueFactory = _ => 32 };
    public static readonly Option<ulong> DataSeed = new("--data-seed") { Description = "Seed of the example order.", DefaultValueFactory = _ => 0UL };
    public static readonly Option<int> ChecksumEvery = new("--checksum-every") { Description = "Compare workers' weights every N steps.", DefaultValueFactory = _ => 10 };
    public static readonly Option<int> SnapshotEvery = new("--snapshot-every") { Description = "Workers snapshot weights every N steps.", DefaultValueFactory = _ => 100 };

    // Coordinator: failure policy.
    public static readonly Option<int> StartWorkers = new("--start-workers") { Description = "Workers required before the first step.", DefaultValueFactory = _ => 1 };
    public static readonly Option<int> MinWorkers = new("--min-workers") { Description = "Below this the run pauses at the next step boundary.", DefaultValueFactory = _ => 1 };
    public static readonly Option<double> HeartbeatTimeout = new("--heartbeat-timeout") { Description = "Seconds of silence after which a worker is dead.", DefaultValueFactory = _ => 10 };
    public static readonly Option<double> StallTimeout = new("--stall-timeout") { Description = "Seconds a live worker may hold up a step.", DefaultValueFactory = _ => 120 };
    public static readonly Option<double> PauseTimeout = new("--pause-timeout") { Description = "Seconds a paused run waits for workers before failing.", DefaultValueFactory = _ => 600 };

    // Worker.
    public static readonly Option<string?> Coordinator = new("--coordinator") { Description = "Worker: the coordinator's host:port." };
    public static readonly Option<string?> Name = new("--name") { Description = "Worker: stable worker name (reuse it on restart)." };
    public static readonly Option<string?> Model = new("--model") { Description = "Worker: prepared model directory (manifest.json, training graph, weights)." };
    public static readonly Option<string?> Data = new("--data") { Description = "Worker: dataset directory (dataset.json and one .pb tensor per input)." };
    public static readonly Option<string?> WorkDirectory = new("--work-dir") { Description = "Worker: directory for snapshots, final weights and worker.json." };
    public static readonly Option<string> Device = new("--device") { Description = "Worker: cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
    public static readonly Option<int> Threads = new("--threads") { Description = "Worker: ONNX Runtime intra-op threads and sweep threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
    public static readonly Option<double> ConnectTimeout = new("--connect-timeout") { Description = "Worker: seconds to keep trying to reach the coordinator.", DefaultValueFactory = _ => 60 };

    public static IEnumerable<Option> All =>
    [
        Role, Run, Port, SiloPort, Listen, Advertise, RunDirectory, Optimizer, Steps, LearningRate, Epsilon, Seed, OptimizerOption,
        BatchSize, DataSeed, ChecksumEvery, SnapshotEvery, StartWorkers, MinWorkers, HeartbeatTimeout, StallTimeout, PauseTimeout,
        Coordinator, Name, Model, Data, WorkDirectory, Device, Threads, ConnectTimeout,
    ];
}
