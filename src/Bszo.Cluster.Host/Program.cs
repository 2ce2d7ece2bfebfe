using System.CommandLine;
using System.Runtime.InteropServices;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Data;
using Bszo.Cluster.Training;
using Bszo.Cluster.Worker;
using Bszo.Models.Training;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;

namespace Bszo.Cluster.Host;

/// <summary>
/// Entry point of <c>bszo-cluster</c>. Exit codes: 0 the run completed; 1 the run failed or an input
/// was wrong (the message says which); 2 the command line was malformed; 130 interrupted (resumable).
/// </summary>
public static class Program
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Data-parallel zeroth-order fine-tuning: run a coordinator, or a worker that trains one shard of every step.");
        foreach (var option in HostOptions.All) root.Options.Add(option);
        root.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return parse.GetValue(HostOptions.Role) switch
                {
                    "coordinator" => await CoordinateAsync(parse, cancellationToken),
                    "worker" => await WorkAsync(parse, cancellationToken),
                    var role => Usage($"--role must be coordinator or worker, not '{role}'."),
                };
            }
            catch (BszoException e)
            {
                await Console.Error.WriteLineAsync("error: " + e.Message);
                return 1;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("stopped; a restarted worker with the same --name and --work-dir rejoins from its snapshot.");
                return 130;
            }
        });
        // Ctrl-C or SIGTERM once: a coordinator finishes at the next checksum step, a worker stops. Twice: exit at once.
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            if (stop.IsCancellationRequested) return;
            context.Cancel = true;
            stop.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stop.Token);
    }

    private static async Task<int> CoordinateAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string run = parse.GetValue(HostOptions.Run)!;
        int port = parse.GetValue(HostOptions.Port);
        var options = new ClusterCoordinatorOptions
        {
            RunName = run,
            RunDirectory = parse.GetValue(HostOptions.RunDirectory) ?? Path.GetFullPath($"bszo-run-{run}"),
            Spec = Spec(parse),
            Endpoint = new ClusterEndpoint
            {
                GatewayPort = port,
                SiloPort = parse.GetValue(HostOptions.SiloPort) ?? port + 1,
                ListenAddress = parse.GetValue(HostOptions.Listen)!,
                AdvertisedAddress = parse.GetValue(HostOptions.Advertise),
            },
            StartWorkers = parse.GetValue(HostOptions.StartWorkers),
            MinWorkers = parse.GetValue(HostOptions.MinWorkers),
            HeartbeatTimeout = TimeSpan.FromSeconds(parse.GetValue(HostOptions.HeartbeatTimeout)),
            StallTimeout = TimeSpan.FromSeconds(parse.GetValue(HostOptions.StallTimeout)),
            PauseTimeout = TimeSpan.FromSeconds(parse.GetValue(HostOptions.PauseTimeout)),
            OnEvent = Print,
        };
        Console.WriteLine($"coordinator: run '{run}' on {options.Endpoint.ListenAddress}:{port}, log {Path.Combine(options.RunDirectory, "trajectory.jsonl")}");
        var summary = await ClusterRun.RunCoordinatorAsync(options, cancellationToken);
        Console.WriteLine(JsonSerializer.Serialize(summary, Json));
        return summary.State == RunState.Completed ? 0 : 130; // interrupted before the end: the log is resumable
    }

    private static async Task<int> WorkAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string name = parse.GetValue(HostOptions.Name) ?? Require<string>("--name");
        string data = parse.GetValue(HostOptions.Data) ?? Require<string>("--data");
        int threads = Math.Max(1, parse.GetValue(HostOptions.Threads));
        var options = new ClusterWorkerOptions
        {
            Coordinator = parse.GetValue(HostOptions.Coordinator) ?? Require<string>("--coordinator"),
            RunName = parse.GetValue(HostOptions.Run)!,
            WorkerName = name,
            ModelDirectory = parse.GetValue(HostOptions.Model) ?? Require<string>("--model"),
            WorkDirectory = parse.GetValue(HostOptions.WorkDirectory) ?? Path.GetFullPath($"bszo-worker-{name}"),
            OpenData = minibatch => TensorDatasetBatchSource.Create(data, minibatch),
            Session = new SessionSettings { Device = parse.GetValue(HostOptions.Device)!, IntraOpThreads = threads },
            Sweep = new SweepOptions { Threads = threads },
            ConnectTimeout = TimeSpan.FromSeconds(parse.GetValue(HostOptions.ConnectTimeout)),
            Log = Console.WriteLine,
        };
        var summary = await ClusterRun.RunWorkerAsync(options, cancellationToken);
        Console.WriteLine(JsonSerializer.Serialize(summary, Json));
        return 0;
    }

    private static ClusterTrainingSpec Spec(ParseResult parse)
    {
        var overrides = new List<KeyValuePair<string, string>> { new("seed", parse.GetValue(HostOptions.Seed).ToString(CultureInfo.InvariantCulture)) };
        if (parse.GetValue(HostOptions.LearningRate) is double lr) overrides.Add(new("learningRate", lr.ToString("R", CultureInfo.InvariantCulture)));
        if (parse.GetValue(HostOptions.Epsilon) is double eps) overrides.Add(new("epsilon", eps.ToString("R", CultureInfo.InvariantCulture)));
        foreach (var pair in parse.GetValue(HostOptions.OptimizerOption) ?? [])
        {
            var parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2) throw new BszoException(BszoException.Format($"--optimizer-option '{pair}' is not of the form key=value.", "e.g. rank=4", pair));
            overrides.Add(new(parts[0], parts[1]));
        }
        return new ClusterTrainingSpec
        {
            Run = RunSpec.Create(parse.GetValue(HostOptions.Optimizer)!, parse.GetValue(HostOptions.Steps), overrides,
                parse.GetValue(HostOptions.BatchSize), parse.GetValue(HostOptions.DataSeed)),
            ChecksumEvery = parse.GetValue(HostOptions.ChecksumEvery),
            SnapshotEvery = parse.GetValue(HostOptions.SnapshotEvery),
        };
    }

    private static void Print(ClusterEvent e)
    {
        string? line = e.Kind switch
        {
            ClusterEventKind.StepCompleted when (e.Step + 1) % 10 != 0 => null,
            ClusterEventKind.StepCompleted => string.Create(CultureInfo.InvariantCulture, $"step {e.Step + 1} loss {e.Loss:F6} workers {e.Members}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{e.Kind} step {e.Step}{(e.Worker is null ? "" : " " + e.Worker)}: {e.Detail}"),
        };
        if (line is not null) Console.WriteLine(line);
    }

    private static T Require<T>(string option) => throw new BszoException(BszoException.Format($"A worker needs {option}.", option, "nothing"));

    private static int Usage(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
