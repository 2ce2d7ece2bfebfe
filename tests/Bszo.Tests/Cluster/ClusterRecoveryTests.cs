using System.Diagnostics;
using Bszo.Models.Export;
using Bszo.Models.Training;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cluster;

/// <summary>
/// `bszo finetune --workers 2` as its own process, as a user runs it: a killed worker is started again
/// and rejoins the run; a killed coordinator takes its workers down with it, and <c>--resume</c>
/// finishes the run, whose log still rebuilds its weights.
/// </summary>
[NonParallelizable]
[CancelAfter(300_000)]
public class ClusterRecoveryTests
{
    private const long Steps = 1000;

    [Test]
    public void A_killed_worker_rejoins_and_a_run_whose_coordinator_was_killed_finishes_with_resume()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 400, seed: 3);
        var run = temp["run"];
        List<string> args = [Repository.CliAssembly, .. FeatureModel.FinetuneArgs(model, data, run, Steps, "--workers", "2", "--eval-every", "500", "--checkpoint-every", "100", "--no-plots")];
        var trajectory = Path.Combine(run, "trajectory.jsonl");

        using var lead = new WatchedProcess(ChildProcess.Start("dotnet", args));
        Until(() => Logged(trajectory) >= 100, lead, "100 steps with two workers");
        var w1 = WorkerProcess(run, "w1");
        Assert.That(w1, Is.Not.Null, "worker w1 runs in its own process");
        w1!.Kill();
        long killedAt = Logged(trajectory);
        Until(() => lead.Output.Contains("worker w1 exited", StringComparison.Ordinal), lead, "the coordinator to notice that w1 exited");
        Until(() => lead.Output.Split("worker w1 takes part").Length > 2, lead, "w1 to take part again");
        long rejoinedAt = Logged(trajectory);
        Until(() => Logged(trajectory) >= rejoinedAt + 50, lead, "50 more steps with w1 back");

        lead.Process.Kill(); // the coordinator and lead trainer, not its worker processes
        lead.Process.WaitForExit();
        long leadKilledAt = Logged(trajectory);
        var stopwatch = Stopwatch.StartNew();
        while ((WorkerProcess(run, "w0") ?? WorkerProcess(run, "w1")) is not null && stopwatch.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(100);
        Assert.That(WorkerProcess(run, "w0") ?? WorkerProcess(run, "w1"), Is.Null, "workers stop when their coordinator's process is gone");
        TestContext.Out.WriteLine($"w1 killed after {killedAt} logged steps, back after {rejoinedAt}; coordinator killed after {leadKilledAt}; workers gone {stopwatch.Elapsed.TotalSeconds:F1} s later");
        Assert.That(leadKilledAt, Is.LessThan(Steps), "the run finished before its coordinator could be killed; raise Steps");

        var resumed = ChildProcess.Bszo([.. args.Skip(1), "--resume"], TimeSpan.FromSeconds(180));
        Assert.That(resumed.ExitCode, Is.Zero, resumed.Output + resumed.Error + ClusterTrajectoryTests.Logs(run));
        Assert.That(resumed.Output, Does.Contain("resuming at step"));
        var result = RunResults.Load(Path.Combine(run, "results.json"))!;
        Assert.That(result.Steps, Is.EqualTo(Steps));

        // One log across every interruption: replayed over the base weights it gives the run's final weights.
        var prepared = PreparedModel.Open(Path.Combine(run, "prepared"));
        using var store = WeightStore.Load(prepared);
        Assert.That(TrajectoryReplay.Replay(prepared, store, trajectory), Is.EqualTo(Steps));
        Assert.That(store.Checksum(), Is.EqualTo(result.FinalWeightsSha256));
    }

    private static long Logged(string trajectory) => File.Exists(trajectory) ? File.ReadLines(trajectory).LongCount() - 1 : 0;

    private static void Until(Func<bool> condition, WatchedProcess lead, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (lead.Process.HasExited) Assert.Fail($"The run ended (exit {lead.Process.ExitCode}) before {what}:\n{lead.Output}");
            if (deadline.Elapsed > TimeSpan.FromSeconds(90)) Assert.Fail($"Waited 90 s for {what}:\n{lead.Output}");
            Thread.Sleep(20);
        }
    }

    /// <summary>The process of worker <paramref name="name"/> of the run in <paramref name="run"/>, found by its command line, or null.</summary>
    private static Process? WorkerProcess(string run, string name)
    {
        var workDirectory = Path.Combine(run, "workers", name);
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int pid)) continue;
            string[] commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0');
            }
            catch (IOException)
            {
                continue; // gone meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (commandLine.Contains("worker") && commandLine.Contains(workDirectory)) return Process.GetProcessById(pid);
        }
        return null;
    }

    /// <summary>A child process whose output is collected as it comes.</summary>
    private sealed class WatchedProcess : IDisposable
    {
        private readonly System.Text.StringBuilder _output = new();

        public WatchedProcess(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output
        {
            get
            {
                lock (_output) return _output.ToString();
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (_output) _output.AppendLine(line);
        }
    }
}
