using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Bszo.Cluster;
using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Protocol;
using Bszo.Cluster.Training;
using Bszo.Models.Training;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;

namespace Bszo.Cli.Cluster;

/// <summary>Where a <c>bszo finetune</c> run gets its losses from when it trains data-parallel.</summary>
/// <param name="Workers">Worker processes to start on this machine.</param>
/// <param name="RemoteWorkers">Workers on other machines (<c>bszo-cluster</c>) to wait for as well.</param>
/// <param name="Listen">Address the coordinator listens on.</param>
/// <param name="Advertise">Address workers on other machines reach it at (null: <paramref name="Listen"/>).</param>
/// <param name="Port">Gateway port (the silo takes the next one); 0: two free ports, for runs on this machine only.</param>
internal sealed record ClusterSettings(int Workers, int RemoteWorkers, string Listen, string? Advertise, int Port)
{
    /// <summary>Whether the run trains data-parallel at all.</summary>
    public bool Enabled => Workers + RemoteWorkers > 0;
}

/// <summary>
/// The cluster of a data-parallel <c>bszo finetune</c> run: a coordinator in this process, whose lead
/// is this process's <see cref="Trainer"/> (<see cref="Lead"/>), and the worker processes it starts on
/// this machine (<see cref="WorkerProcesses"/>). Coordinator events reach the run's one progress
/// display through <see cref="Observe"/>; <c>cluster.json</c> in the run directory records how the
/// cluster ran (members, traffic).
/// </summary>
/// <remarks><b>Ownership.</b> Owns the coordinator and the worker processes; dispose to stop both.</remarks>
internal sealed class LocalCluster : IDisposable
{
    private static readonly JsonSerializerOptions SummaryJson = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
    private readonly ClusterCoordinator _coordinator;
    private readonly ConcurrentQueue<string> _messages;
    private readonly RunDirectory _run;
    private readonly CancellationToken _cancel;
    private WorkerProcesses? _workers;
    private int _localWorkersLeft;
    private bool _hasRemoteWorkers;

    private LocalCluster(ClusterCoordinator coordinator, ConcurrentQueue<string> messages, RunDirectory run, CancellationToken cancel)
    {
        _coordinator = coordinator;
        _messages = messages;
        _run = run;
        _cancel = cancel;
    }

    /// <summary>
    /// Starts the coordinator of <paramref name="setup"/>'s run (seeded with the steps a resumed run has
    /// taken, <paramref name="records"/>) and the local workers, which load the model, task and data from
    /// <paramref name="settings"/>.
    /// </summary>
    public static LocalCluster Start(ClusterSettings cluster, FinetuneSettings settings, TrainingSetup setup, RunDirectory run, IReadOnlyList<StepRecord> records,
        CancellationToken cancel)
    {
        var messages = new ConcurrentQueue<string>();
        var manifest = setup.Model.Manifest;
        var endpoint = new ClusterEndpoint
        {
            GatewayPort = cluster.Port == 0 ? FreePort() : cluster.Port,
            SiloPort = cluster.Port == 0 ? FreePort() : cluster.Port + 1,
            ListenAddress = cluster.Listen,
            AdvertisedAddress = cluster.Advertise,
        };
        var options = new ClusterCoordinatorOptions
        {
            Spec = new ClusterTrainingSpec { Run = setup.Spec },
            SetupJson = RunConfig.SettingsJson(settings),
            Fingerprint = new RunFingerprint(manifest.BaseWeightsSha256, manifest.ElementCount, setup.TrainExamplesSha256()),
            Records = records,
            Endpoint = endpoint,
            StartWorkers = cluster.Workers + cluster.RemoteWorkers,
            MinWorkers = 1,
            OnEvent = e =>
            {
                if (Describe(e) is { } line) messages.Enqueue(line);
            },
        };
        var coordinator = ClusterRun.StartCoordinatorAsync(options, cancel).GetAwaiter().GetResult();
        var local = new LocalCluster(coordinator, messages, run, cancel) { _localWorkersLeft = cluster.Workers, _hasRemoteWorkers = cluster.RemoteWorkers > 0 };
        try
        {
            int threads = Math.Max(1, setup.Session.IntraOpThreads / Math.Max(1, cluster.Workers));
            local._workers = WorkerProcesses.Start(cluster.Workers, $"127.0.0.1:{endpoint.GatewayPort}", Path.Combine(run.Root, "workers"), threads,
                setup.Session.Device, local.OnWorkerExit);
            string remote = cluster.RemoteWorkers > 0
                ? FormattableString.Invariant($", waiting for {cluster.RemoteWorkers} more (bszo-cluster --coordinator <this address>:{endpoint.GatewayPort} --name <unique name>)")
                : "";
            messages.Enqueue(Line($"coordinator on {endpoint.AdvertisedAddress ?? endpoint.ListenAddress}:{endpoint.GatewayPort}; {cluster.Workers} worker processes here ({threads} threads each, logs in {Path.Combine(run.Root, "workers")}){remote}"));
            return local;
        }
        catch
        {
            local.Dispose();
            throw;
        }
    }

    /// <summary>The lead's losses for the trainer whose core is <paramref name="core"/>: join the run and take every step with the workers.</summary>
    public IStepLosses Lead(TrainingCore core) => ClusterLead.Join(_coordinator, core, _cancel);

    /// <summary><paramref name="display"/>, also showing the cluster's events (joins, losses, pauses) as they happen, on the training thread.</summary>
    public ITrainingObserver Observe(ITrainingObserver display) => new WithMessages(display, _messages);

    /// <summary>Waits for the run's end to reach every worker, stops them, and writes <c>cluster.json</c>.</summary>
    public ClusterRunSummary Finish()
    {
        var summary = _coordinator.WaitAsync(_cancel).GetAwaiter().GetResult();
        _workers?.WaitForExit(TimeSpan.FromSeconds(30));
        AtomicFile.WriteAllText(Path.Combine(_run.Root, "cluster.json"), JsonSerializer.Serialize(summary, SummaryJson));
        return summary;
    }

    public void Dispose()
    {
        _workers?.Dispose();
        _coordinator.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private void OnWorkerExit(string name, string message, bool restarting)
    {
        _messages.Enqueue("cluster: " + message);
        // The coordinator need not wait for heartbeats to stop: the step in progress goes on without it now.
        _coordinator.Drop(name, message);
        if (restarting || Interlocked.Decrement(ref _localWorkersLeft) > 0 || _hasRemoteWorkers) return;
        _coordinator.Abort("Every worker process of the run has exited.", $"see the worker logs under {Path.Combine(_run.Root, "workers")}; fix the cause, then continue with --resume.");
    }

    /// <summary>A line for the display, or null for events the display shows otherwise (steps; the end; a failure, which the trainer raises).</summary>
    private static string? Describe(ClusterEvent e) => e.Kind switch
    {
        ClusterEventKind.WorkerJoined when e.Worker != ClusterLead.Name => Line($"worker {e.Worker} joined at step {e.Step} ({e.Detail})"),
        ClusterEventKind.WorkerAdmitted when e.Worker != ClusterLead.Name => Line($"worker {e.Worker} takes part from step {e.Step}"),
        ClusterEventKind.WorkerLost => Line($"worker {e.Worker} left at step {e.Step}: {e.Detail}"),
        ClusterEventKind.Paused => Line($"waiting at step {e.Step}: {e.Detail}"),
        _ => null,
    };

    private static string Line(FormattableString text) => "cluster: " + FormattableString.Invariant(text);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Shows queued cluster messages through the run's display, from the training thread (displays are not thread-safe).</summary>
    private sealed class WithMessages(ITrainingObserver display, ConcurrentQueue<string> messages) : ITrainingObserver
    {
        public void Started(RunStart start)
        {
            Drain();
            display.Started(start);
        }

        public void Stepped(StepReport report)
        {
            Drain();
            display.Stepped(report);
        }

        public void Evaluated(EvalReport report)
        {
            Drain();
            display.Evaluated(report);
        }

        public void Checkpointed(long completedSteps, string directory) => display.Checkpointed(completedSteps, directory);

        public void Message(string text)
        {
            Drain();
            display.Message(text);
        }

        private void Drain()
        {
            while (messages.TryDequeue(out var line)) display.Message(line);
        }
    }
}
