using System.CommandLine;
using System.Globalization;
using Bszo.Cli.Display;
using Bszo.Cli.Setup;
using Bszo.Cluster;
using Bszo.Cluster.Worker;
using Bszo.Models.Training;
using Bszo.Ort.Runtime;

namespace Bszo.Cli.Commands;

/// <summary>
/// <c>bszo worker</c>: one worker of a cluster run. It connects to the run's coordinator (a
/// <c>bszo finetune --workers</c> or <c>--remote-workers</c> run), loads the run's model, task and data
/// the way that finetune did, and trains its shard of every step. <c>finetune --workers N</c> starts
/// these itself; on other machines <c>bszo-cluster</c> runs this command.
/// </summary>
internal static class WorkerCommand
{
    /// <summary>The command's name.</summary>
    public const string Name = "worker";

    private static readonly Option<string> Coordinator = new("--coordinator") { Description = "The coordinator's host:port (the --advertise address and --port of the finetune run).", Required = true, HelpName = "host:port" };
    private static readonly Option<string> WorkerName = new("--name") { Description = "This worker's name, unique in the run; a restarted worker reuses it (and its --work-dir).", Required = true, HelpName = "name" };
    private static readonly Option<string?> WorkDirectory = new("--work-dir") { Description = "Directory for this worker's snapshots and summary (default: ./bszo-worker-<name>).", HelpName = "dir" };
    private static readonly Option<int> Threads = new("--threads") { Description = "CPU threads for forward passes and sweeps.", DefaultValueFactory = _ => Environment.ProcessorCount, HelpName = "n" };
    private static readonly Option<string> Device = new("--device") { Description = "cpu, or cuda / cuda:N in a GPU build.", DefaultValueFactory = _ => "cpu", HelpName = "device" };
    private static readonly Option<double> ConnectTimeout = new("--connect-timeout") { Description = "Seconds to keep trying to reach the coordinator (at start and after losing it).", DefaultValueFactory = _ => 60.0, HelpName = "s" };

    /// <summary>Set by the process that started this worker: the worker stops when that process is gone.</summary>
    internal static readonly Option<int?> ParentProcess = new("--parent-pid") { Description = "Stop when the process with this id exits (set by finetune --workers).", Hidden = true };

    /// <summary>The command.</summary>
    public static Command Create(CliConsole console, CancellationToken cancel)
    {
        var command = new Command(Name, "Train one shard of a cluster run whose coordinator is a `bszo finetune --workers/--remote-workers` run.")
        {
            Coordinator, WorkerName, WorkDirectory, Threads, Device, ConnectTimeout, ParentProcess,
        };
        command.SetAction(p => Guard.Run(console, () => Execute(p, console, cancel)));
        return command;
    }

    private static int Execute(ParseResult p, CliConsole console, CancellationToken cancel)
    {
        string name = p.GetValue(WorkerName)!;
        string workDirectory = Path.GetFullPath(p.GetValue(WorkDirectory) ?? $"bszo-worker-{name}");
        int threads = Math.Max(1, p.GetValue(Threads));
        string device = p.GetValue(Device)!;
        void Log(string line) => console.Out.WriteLine(line);
        using var parentWatch = p.GetValue(ParentProcess) is int parent ? WatchParent(parent, Log) : null;
        var options = new ClusterWorkerOptions
        {
            Coordinator = p.GetValue(Coordinator)!,
            WorkerName = name,
            WorkDirectory = workDirectory,
            Setup = (spec, setupJson) => Setup(spec, setupJson, workDirectory, threads, device, Log),
            ConnectTimeout = TimeSpan.FromSeconds(p.GetValue(ConnectTimeout)),
            Log = Log,
        };
        var summary = ClusterRun.RunWorkerAsync(options, cancel).GetAwaiter().GetResult();
        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: the run ended at step {summary.Steps}; this worker trained {summary.TrainedSteps} steps and replayed {summary.ReplayedSteps} ({summary.Rejoins} rejoins)"));
        return ExitCodes.Ok;
    }

    /// <summary>What this worker trains: the coordinator's spec over the model, task and data its setup names, loaded as finetune loads them.</summary>
    private static TrainingSetup Setup(RunSpec spec, string setupJson, string workDirectory, int threads, string device, Action<string> log)
    {
        var settings = RunConfig.ReadSettings(setupJson, "the coordinator");
        // On the coordinator's machine its prepared model is there to share; elsewhere the model is prepared here (the base weights are checked).
        string? prepared = settings.Prepared is { } directory && File.Exists(Path.Combine(directory, Ort.Graph.WeightManifest.FileName)) ? directory : null;
        // The coordinator's preparation already holds the run's selection of trainable tensors.
        var model = ModelSetup.Resolve(settings.ToModelRequest(), prepared, prepared is null ? settings.Selection : new TrainableSelection(), Path.Combine(workDirectory, "prepared"), log);
        var (task, data) = settings.Task.Load(log);
        return new TrainingSetup
        {
            Spec = spec,
            Adapter = model.Adapter,
            Model = model.Prepared,
            Task = task,
            Data = data,
            Session = new SessionSettings { IntraOpThreads = threads, Device = device },
            Sweep = TrainingWeights.ResolveSweep(null, device, spec.Optimizer),
        };
    }

    /// <summary>
    /// Ends this process once process <paramref name="parent"/> has exited (polled every second): the run's
    /// coordinator lived there, so nothing is left to wait for. Snapshots are written atomically, so
    /// stopping at any moment loses nothing a restarted run needs.
    /// </summary>
    private static Timer WatchParent(int parent, Action<string> log) => new(_ =>
    {
        if (Processes.IsRunning(parent)) return;
        log($"the process that started this worker ({parent}) has exited; stopping.");
        Environment.Exit(ExitCodes.Interrupted);
    }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
}
