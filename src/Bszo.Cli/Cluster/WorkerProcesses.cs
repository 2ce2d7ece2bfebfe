using System.Diagnostics;
using System.Globalization;
using Bszo.Cli.Commands;

namespace Bszo.Cli.Cluster;

/// <summary>
/// The worker processes of a <c>bszo finetune --workers N</c> run on this machine: each is this same
/// program running <c>bszo worker</c>, with its output in <c>workers/&lt;name&gt;/worker.log</c> under the
/// run directory. A worker that exits before the run ends is reported and started again (it rejoins
/// from its snapshot), a few times at most.
/// </summary>
/// <remarks>
/// <b>Ownership.</b> Owns the processes; <see cref="Dispose"/> stops those still running. Each worker
/// also stops by itself when this process exits (<c>--parent-pid</c>), so none outlives a killed run.
/// </remarks>
internal sealed class WorkerProcesses : IDisposable
{
    /// <summary>How often one worker may be started again after exiting early.</summary>
    public const int MaxRestarts = 3;

    private readonly Lock _gate = new();
    private readonly string _coordinator;
    private readonly string _workersDirectory;
    private readonly int _threads;
    private readonly string _device;
    private readonly Action<string, string, bool> _exited;
    private readonly Dictionary<string, Process> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _restarts = new(StringComparer.Ordinal);
    private bool _stopping;

    private WorkerProcesses(string coordinator, string workersDirectory, int threads, string device, Action<string, string, bool> exited)
    {
        _coordinator = coordinator;
        _workersDirectory = workersDirectory;
        _threads = threads;
        _device = device;
        _exited = exited;
    }

    /// <summary>
    /// Starts <paramref name="count"/> workers (<c>w0</c>, <c>w1</c>, ...) of the coordinator at
    /// <paramref name="coordinator"/>, each with <paramref name="threads"/> threads, working in
    /// <paramref name="workersDirectory"/>/&lt;name&gt;. <paramref name="exited"/> hears of every early exit
    /// (the worker's name, what happened, and whether it is started again), from a background thread.
    /// </summary>
    public static WorkerProcesses Start(int count, string coordinator, string workersDirectory, int threads, string device, Action<string, string, bool> exited)
    {
        var workers = new WorkerProcesses(coordinator, workersDirectory, threads, device, exited);
        try
        {
            for (int i = 0; i < count; i++) workers.Launch(string.Create(CultureInfo.InvariantCulture, $"w{i}"));
            return workers;
        }
        catch
        {
            workers.Dispose();
            throw;
        }
    }

    /// <summary>The log file of worker <paramref name="name"/>.</summary>
    public string LogPath(string name) => Path.Combine(_workersDirectory, name, "worker.log");

    /// <summary>Waits up to <paramref name="limit"/> for every worker to exit by itself (the run has ended), then stops the rest.</summary>
    public void WaitForExit(TimeSpan limit)
    {
        List<Process> running;
        lock (_gate)
        {
            _stopping = true;
            running = [.. _running.Values];
        }
        var deadline = Stopwatch.StartNew();
        foreach (var process in running)
        {
            var left = limit - deadline.Elapsed;
            if (left < TimeSpan.Zero || !process.WaitForExit(left)) Stop(process);
        }
    }

    public void Dispose()
    {
        List<Process> running;
        lock (_gate)
        {
            _stopping = true;
            running = [.. _running.Values];
            _running.Clear();
        }
        foreach (var process in running)
        {
            Stop(process);
            process.Dispose();
        }
    }

    private void Launch(string name)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_workersDirectory, name)).FullName;
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     typeof(Program).Assembly.Location, WorkerCommand.Name, "--coordinator", _coordinator, "--name", name, "--work-dir", directory,
                     "--threads", _threads.ToString(CultureInfo.InvariantCulture), "--device", _device,
                     "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                 })
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["CI"] = "true"; // plain lines into the log, never a live display
        var log = new StreamWriter(LogPath(name), append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Exited += (_, _) => OnExit(name, process, log);
        lock (_gate)
        {
            process.Start();
            _running[name] = process;
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private void OnExit(string name, Process process, StreamWriter log)
    {
        process.WaitForExit(); // drains the output handlers
        int code = process.ExitCode;
        log.Dispose();
        int restarts;
        lock (_gate)
        {
            if (_running.GetValueOrDefault(name) == process) _running.Remove(name);
            if (_stopping) return;
            restarts = _restarts.GetValueOrDefault(name);
            _restarts[name] = restarts + 1;
        }
        process.Dispose();
        if (code == 0) return; // the run ended for it
        bool again = restarts < MaxRestarts;
        _exited(name, string.Create(CultureInfo.InvariantCulture,
            $"worker {name} exited with code {code} (see {LogPath(name)}){(again ? "; starting it again: it rejoins from its snapshot" : $"; not started again after {MaxRestarts} restarts")}"), again);
        if (!again) return;
        try
        {
            Launch(name);
        }
        catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            _exited(name, $"worker {name} could not be started again: {e.Message}", false);
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The worker has exited and its log is closed.
            }
        }
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>The .NET host that runs this program (workers run the same build).</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.Ordinal) ? path : "dotnet";
}
