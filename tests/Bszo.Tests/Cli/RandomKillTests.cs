using System.Diagnostics;
using Bszo.Models.Training;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cli;

/// <summary>
/// The real `bszo` binary killed with SIGKILL again and again — in the middle of optimizer steps and in
/// the middle of writing checkpoints — and resumed each time: the run ends with the trajectory and the
/// weights of a run that was never interrupted, byte for byte.
/// </summary>
public class RandomKillTests
{
    private const int Kills = 12;
    private const long Steps = 4000;

    [Test]
    public void A_run_killed_at_random_points_mid_step_and_mid_checkpoint_ends_byte_identical_to_an_uninterrupted_run()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 400, seed: 3);
        // Checkpoints every 20 steps and a best snapshot at every improving evaluation: many writes to interrupt.
        List<string> Args(string run) => FeatureModel.FinetuneArgs(model, data, run, Steps,
            "--eval-every", "100", "--checkpoint-every", "20", "--keep-checkpoints", "2", "--no-plots", "--quiet");

        var straight = CliRunner.Run(Args(temp["straight"]));
        Assert.That(straight.ExitCode, Is.Zero, straight.ToString());

        var random = new Random(20261203);
        var run = temp["killed"];
        var checkpoints = Path.Combine(run, "checkpoints");
        var trajectory = Path.Combine(run, "trajectory.jsonl");
        int midCheckpoint = 0;
        var clock = Stopwatch.StartNew();
        for (int kill = 0; kill < Kills; kill++)
        {
            bool duringCheckpoint = kill % 2 == 1;
            var log = new LineCounter(trajectory);
            long before = log.Count();
            using var victim = ChildProcess.Start("dotnet", [Repository.CliAssembly, .. Args(run), .. kill == 0 ? Array.Empty<string>() : ["--resume"]]);
            _ = victim.StandardOutput.ReadToEndAsync();
            var error = victim.StandardError.ReadToEndAsync();

            // Mid-step: a random number of steps after this start's first new one. Mid-checkpoint: as soon as
            // this process's temporary checkpoint directory (.step_N.<pid>.<guid>.partial) appears.
            long target = before + 1 + random.Next(40);
            string partial = $".{victim.Id}.";
            var deadline = Stopwatch.StartNew();
            while (!victim.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                bool due = duringCheckpoint
                    ? Directory.Exists(checkpoints) && Directory.EnumerateDirectories(checkpoints, ".step_*").Any(d => d.Contains(partial, StringComparison.Ordinal))
                    : log.Count() >= target;
                if (due) break;
                Thread.Yield();
            }
            Assert.That(victim.HasExited, Is.False, $"kill {kill}: the run ended before it could be killed (raise Steps)\n{(victim.HasExited ? error.Result : "")}");
            SpinFor(TimeSpan.FromTicks(random.Next((int)TimeSpan.TicksPerMillisecond))); // a random point inside the step or the write
            victim.Kill();
            victim.WaitForExit();
            bool leftPartial = Directory.Exists(checkpoints) && Directory.EnumerateDirectories(checkpoints, ".step_*").Any();
            if (leftPartial) midCheckpoint++;
            TestContext.Out.WriteLine(FormattableString.Invariant(
                $"kill {kill + 1}: {(duringCheckpoint ? "while checkpointing" : "between checkpoints")}, after {log.Count() - 1} logged steps{(leftPartial ? ", a partial checkpoint left behind" : "")}"));
        }
        TestContext.Out.WriteLine(FormattableString.Invariant($"{Kills} kills in {clock.Elapsed.TotalSeconds:F1} s, {midCheckpoint} of them inside a checkpoint write"));
        Assert.That(midCheckpoint, Is.GreaterThan(0), "at least one kill landed inside a checkpoint write");

        var resumed = CliRunner.Run([.. Args(run), "--resume"]);
        Assert.That(resumed.ExitCode, Is.Zero, resumed.ToString());

        Assert.That(File.ReadAllBytes(trajectory), Is.EqualTo(File.ReadAllBytes(temp["straight/trajectory.jsonl"])), "identical trajectory log");
        var final = Checkpoints.Newest(checkpoints)!;
        var reference = Checkpoints.Newest(temp["straight/checkpoints"])!;
        Assert.That(final.Step, Is.EqualTo(Steps));
        Assert.That(File.ReadAllBytes(final.WeightsPath), Is.EqualTo(File.ReadAllBytes(reference.WeightsPath)), "identical final weights, byte for byte");
        var a = RunResults.Load(Path.Combine(run, "results.json"))!;
        var b = RunResults.Load(temp["straight/results.json"])!;
        Assert.That(a.FinalWeightsSha256, Is.EqualTo(b.FinalWeightsSha256));
        Assert.That(a.BestWeightsSha256, Is.EqualTo(b.BestWeightsSha256), "identical best weights");
        Assert.That(a.FineTunedTest, Is.EqualTo(b.FineTunedTest));
        Assert.That(Directory.EnumerateDirectories(checkpoints, ".step_*"), Is.Empty, "partial checkpoints of killed runs are cleaned up");
    }

    /// <summary>Counts the lines of a growing file, reading only what was appended since the last count.</summary>
    private sealed class LineCounter(string path)
    {
        private long _read, _lines;
        private readonly byte[] _buffer = new byte[1 << 16];

        public long Count()
        {
            if (!File.Exists(path)) return 0;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length < _read) _read = _lines = 0; // rewritten (a resume rewrites the log)
            stream.Position = _read;
            for (int n; (n = stream.Read(_buffer)) > 0;)
            {
                _lines += _buffer.AsSpan(0, n).Count((byte)'\n');
                _read += n;
            }
            return _lines;
        }
    }

    private static void SpinFor(TimeSpan time)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < time) Thread.SpinWait(20);
    }
}
