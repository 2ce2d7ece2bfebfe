using System.Diagnostics;
using Bszo.Models.Training;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cli;

/// <summary>The real `bszo` binary, killed with SIGKILL mid-run and resumed, against an uninterrupted run.</summary>
public class KillAndResumeTests
{
    [Test]
    public void A_run_killed_mid_way_resumes_onto_the_uninterrupted_trajectory()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 400, seed: 3);
        KillAndResume(temp, run => FeatureModel.FinetuneArgs(model, data, run, 1200, "--eval-every", "300", "--checkpoint-every", "200", "--no-plots"),
            steps: 1200, killAfter: 450);
    }

    [Test]
    public void A_top_layer_run_over_cached_sequence_rows_killed_mid_way_resumes_onto_the_uninterrupted_trajectory()
    {
        using var temp = new TempDirectory();
        var model = Models.UseLiteTestModel.Instance.Directory;
        var data = MovieSentences.WriteCsv(temp["sentences.csv"], 120, seed: 4);
        KillAndResume(temp, run =>
        [
            "finetune", "--model", model, "--train-top-layers", "1", "--task", "sst2", "--data", data, "--num-train", "64", "--num-dev", "16", "--num-test", "16",
            "--steps", "240", "--batch-size", "4", "--eval-every", "120", "--checkpoint-every", "60", "--optimizer", "mezo", "--learning-rate", "1e-3",
            "--seed", "3", "--threads", "1", "--no-plots", "--out", run,
        ], steps: 240, killAfter: 90, expectOutput: "frozen-prefix cache: ready");
    }

    /// <summary>
    /// Runs the command <paramref name="args"/> builds twice side by side, kills one with SIGKILL (no
    /// clean-up of any kind) once it logged <paramref name="killAfter"/> steps, resumes it, and
    /// checks that it ends exactly where the uninterrupted run ends.
    /// </summary>
    private static void KillAndResume(TempDirectory temp, Func<string, IReadOnlyList<string>> args, long steps, long killAfter, string? expectOutput = null)
    {
        string[] Args(string run) => [Repository.CliAssembly, .. args(run)];

        // The uninterrupted reference and the run to be killed, side by side.
        using var reference = ChildProcess.Start("dotnet", Args(temp["straight"]));
        var referenceOutput = reference.StandardOutput.ReadToEndAsync();
        var referenceError = reference.StandardError.ReadToEndAsync();
        using var victim = ChildProcess.Start("dotnet", Args(temp["killed"]));
        _ = victim.StandardOutput.ReadToEndAsync();
        _ = victim.StandardError.ReadToEndAsync();

        // Kill it once it is well past a checkpoint, between two checkpoints.
        var log = temp["killed/trajectory.jsonl"];
        var deadline = Stopwatch.StartNew();
        long logged = 0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(120) && !victim.HasExited)
        {
            logged = File.Exists(log) ? CountLines(log) - 1 : 0;
            if (logged >= killAfter) break;
            Thread.Sleep(2);
        }
        Assert.That(victim.HasExited, Is.False, "the run finished before it could be killed; raise its steps");
        victim.Kill();
        victim.WaitForExit();
        long atKill = CountLines(log) - 1;
        TestContext.Out.WriteLine($"killed after {atKill} logged steps ({deadline.Elapsed.TotalSeconds:F1} s)");
        Assert.That(atKill, Is.LessThan(steps));
        Assert.That(File.Exists(temp["killed/results.json"]), Is.False);

        var resumed = ChildProcess.Bszo([.. Args(temp["killed"]).Skip(1), "--resume"], TimeSpan.FromSeconds(180));
        Assert.That(resumed.ExitCode, Is.Zero, resumed.Output + resumed.Error);
        Assert.That(resumed.Output, Does.Contain("resuming at step"));
        if (expectOutput is not null) Assert.That(resumed.Output, Does.Contain(expectOutput));
        reference.WaitForExit();
        Assert.That(reference.ExitCode, Is.Zero, referenceOutput.Result + referenceError.Result);

        var straight = RunResults.Load(temp["straight/results.json"])!;
        var continued = RunResults.Load(temp["killed/results.json"])!;
        Assert.That(File.ReadAllBytes(temp["killed/trajectory.jsonl"]), Is.EqualTo(File.ReadAllBytes(temp["straight/trajectory.jsonl"])), "identical trajectory log");
        Assert.That(continued.FinalWeightsSha256, Is.EqualTo(straight.FinalWeightsSha256), "identical final weights");
        Assert.That(continued.BestWeightsSha256, Is.EqualTo(straight.BestWeightsSha256), "identical best weights");
        Assert.That(continued.FineTunedTest, Is.EqualTo(straight.FineTunedTest));
        Assert.That(Directory.GetDirectories(temp["killed/checkpoints"], ".step_*"), Is.Empty, "no partial checkpoint left behind");
    }

    private static long CountLines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long lines = 0;
        var buffer = new byte[1 << 16];
        for (int n; (n = stream.Read(buffer)) > 0;)
        {
            for (int i = 0; i < n; i++) if (buffer[i] == (byte)'\n') lines++;
        }
        return lines;
    }
}
