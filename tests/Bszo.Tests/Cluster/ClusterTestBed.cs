using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Bszo.Cluster;
using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Data;
using Bszo.Cluster.Training;
using Bszo.Models.Training;
using Bszo.Cluster.Worker;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Bszo.Tests.Ort;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cluster;

/// <summary>
/// A prepared MLP and a dataset of Gaussian blobs on disk, an in-process coordinator on loopback, and
/// worker processes running <c>bszo-cluster</c>. Every process it starts is killed on dispose.
/// </summary>
internal sealed class ClusterTestBed : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly List<WorkerProcess> _workers = [];

    public ClusterTestBed(int examples = 240, int hidden = 16)
    {
        var source = TestModels.Mlp(Temp["src"], MlpFixture.Inputs, hidden, MlpFixture.Classes, seed: 4);
        Prepared = TrainingModelBuilder.Prepare(source, Temp["prepared"], new PrepareOptions { Loss = ClassificationLossHead.Create("logits") });
        using var blobs = MlpFixture.Blobs(examples, seed: 77);
        TensorDataset.Save(DataDirectory, blobs);
    }

    public TempDirectory Temp { get; } = new();

    public PreparedModel Prepared { get; }

    public string DataDirectory => Temp["data"];

    public ClusterCoordinator? Coordinator { get; private set; }

    public IReadOnlyList<WorkerProcess> Workers => _workers;

    /// <summary>Starts the coordinator on two free loopback ports.</summary>
    public async Task<ClusterCoordinator> StartCoordinatorAsync(ClusterTrainingSpec spec, Func<ClusterCoordinatorOptions, ClusterCoordinatorOptions>? configure = null)
    {
        var options = new ClusterCoordinatorOptions
        {
            RunName = "test",
            RunDirectory = Temp["run"],
            Spec = spec,
            Endpoint = new ClusterEndpoint { GatewayPort = FreePort(), SiloPort = FreePort() },
            HeartbeatTimeout = TimeSpan.FromSeconds(20),
            StallTimeout = TimeSpan.FromSeconds(60),
            PauseTimeout = TimeSpan.FromSeconds(60),
            PollHold = TimeSpan.FromSeconds(2),
            Linger = TimeSpan.FromSeconds(1),
        };
        Coordinator = await ClusterRun.StartCoordinatorAsync(configure?.Invoke(options) ?? options);
        return Coordinator;
    }

    /// <summary>Stops the coordinator and starts a new one on the same ports and run directory (it resumes from the log).</summary>
    public async Task<ClusterCoordinator> RestartCoordinatorAsync()
    {
        var options = Coordinator!.Options;
        await Coordinator.DisposeAsync();
        Coordinator = null;
        Coordinator = await ClusterRun.StartCoordinatorAsync(options);
        return Coordinator;
    }

    /// <summary>Starts a worker process named <paramref name="name"/> (reusing its work directory on a restart).</summary>
    public WorkerProcess StartWorker(string name, int threads = 1)
    {
        var coordinator = Coordinator ?? throw new InvalidOperationException("Start the coordinator first.");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            HostAssembly, "--role", "worker", "--run", coordinator.Options.RunName,
            "--coordinator", $"127.0.0.1:{coordinator.Options.Endpoint.GatewayPort}", "--name", name,
            "--model", Prepared.Directory, "--data", DataDirectory, "--work-dir", WorkDirectory(name), "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--connect-timeout", "30",
        })
        {
            info.ArgumentList.Add(a);
        }
        info.Environment["DOTNET_TieredPGO"] = "0"; // short-lived processes: skip instrumentation overhead
        var worker = new WorkerProcess(name, Process.Start(info)!);
        _workers.Add(worker);
        return worker;
    }

    public string WorkDirectory(string name) => Temp[Path.Combine("workers", name)];

    /// <summary>Runs a worker inside this process (a real Orleans client over loopback; no process start-up).</summary>
    public Task<ClusterWorkerSummary> RunWorkerInProcess(string name, CancellationToken cancellationToken)
    {
        var coordinator = Coordinator ?? throw new InvalidOperationException("Start the coordinator first.");
        return ClusterRun.RunWorkerAsync(new ClusterWorkerOptions
        {
            Coordinator = $"127.0.0.1:{coordinator.Options.Endpoint.GatewayPort}",
            RunName = coordinator.Options.RunName,
            WorkerName = name,
            ModelDirectory = Prepared.Directory,
            WorkDirectory = WorkDirectory(name),
            OpenData = minibatch => TensorDatasetBatchSource.Create(DataDirectory, minibatch),
            Session = new SessionSettings { IntraOpThreads = 1 },
            Sweep = new SweepOptions { Threads = 1 },
            ConnectTimeout = TimeSpan.FromSeconds(30),
        }, cancellationToken);
    }

    /// <summary>The summary a worker wrote when it finished.</summary>
    public ClusterWorkerSummary Summary(string name) =>
        JsonSerializer.Deserialize<ClusterWorkerSummary>(File.ReadAllText(Path.Combine(WorkDirectory(name), "worker.json")), Json)!;

    /// <summary>The same run in one process: full batch, same optimizer, plain <c>TrainingGraphSession.Loss</c>.</summary>
    public (List<StepRecord> Records, float[] Weights) SingleProcess(ClusterTrainingSpec spec, int threads = 1, Action<long>? stepDone = null)
    {
        using var store = WeightStore.Load(Prepared);
        using var session = TrainingGraphSession.Create(Prepared, store, new SessionSettings { IntraOpThreads = threads });
        using var optimizer = spec.Run.CreateOptimizer(new PerturbationSweep(store, new SweepOptions { Threads = threads }));
        var data = TensorDatasetBatchSource.Create(DataDirectory, spec.Run);
        var records = new List<StepRecord>();
        for (long step = 0; step < spec.Steps; step++)
        {
            using var batch = data.Batch(step, 0, 1)!;
            session.Bind(batch);
            records.Add(optimizer.Step(new DelegateLossEvaluator(session.Loss)));
            stepDone?.Invoke(step);
        }
        return (records, store.Snapshot());
    }

    /// <summary>Final weights a worker saved.</summary>
    public float[] FinalWeights(string name)
    {
        var directory = Summary(name).FinalWeights;
        using var store = WeightStore.Load(WeightManifest.Load(Path.Combine(directory, WeightManifest.FileName)), Path.Combine(directory, "weights.bin"));
        return store.Snapshot();
    }

    /// <summary>Waits for the run to end (bounded), then for every live worker process to exit.</summary>
    public async Task<ClusterRunSummary> FinishAsync(TimeSpan limit)
    {
        var coordinator = Coordinator!;
        var wait = coordinator.WaitAsync();
        if (await Task.WhenAny(wait, Task.Delay(limit)) != wait)
        {
            Assert.Fail($"The run did not end within {limit.TotalSeconds} s: {Describe(coordinator.Status)}\n{Output()}");
        }
        foreach (var w in _workers.Where(w => !w.Process.HasExited)) await w.WaitAsync(TimeSpan.FromSeconds(30));
        return await wait;
    }

    /// <summary>All workers' output, for failure messages.</summary>
    public string Output() => string.Join("\n", _workers.Select(w => $"--- {w.Name} (pid {w.Process.Id}):\n{w.Output}"));

    public static string Describe(ClusterStatus s) =>
        $"{s.State}, {s.StepsRecorded} steps, members [{string.Join(", ", s.Members)}], joining [{string.Join(", ", s.Joining)}] {s.Error}";

    public async ValueTask DisposeAsync()
    {
        foreach (var w in _workers) w.Dispose();
        if (Coordinator is not null) await Coordinator.DisposeAsync();
        Temp.Dispose();
    }

    private static string HostAssembly => Repository.BuiltAssembly(Path.Combine("src", "Bszo.Cluster.Host"), "bszo-cluster.dll");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A worker OS process and everything it printed.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly StringBuilder _output = new();

    public WorkerProcess(string name, Process process)
    {
        Name = name;
        Process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public Process Process { get; }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public async Task WaitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"Worker {Name} did not exit within {limit.TotalSeconds} s:\n{Output}");
        }
    }

    public void Kill()
    {
        Process.Kill(entireProcessTree: true);
        Process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited) Kill();
        }
        catch (InvalidOperationException)
        {
        }
        Process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }
}
