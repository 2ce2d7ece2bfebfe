using System.Diagnostics;
using System.Text.Json.Nodes;
using Bszo.Models.Training;
using Bszo.Ort.Optimizers;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cli;

/// <summary>
/// `bszo finetune --sweep graph`: the device path (weights held by ONNX Runtime, swept by the updater graph),
/// here on the CPU provider, from the command line: train, kill, resume, export, against the host path.
/// </summary>
public class GraphSweepTests
{
    private const long Steps = 400;

    // The updater graph's Box–Muller uses ONNX Runtime's Log/Sqrt/Cos, a few fp32 ulps from the host's:
    // measured on this model, the largest loss difference over 400 steps was 1.5e-6.
    private const double LossTolerance = 1e-5;

    [Test]
    public void A_graph_sweep_run_follows_the_host_run_survives_a_kill_and_exports()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 400, seed: 5);
        List<string> Args(string run, params string[] extra) =>
            FeatureModel.FinetuneArgs(model, data, run, Steps, ["--eval-every", "100", "--checkpoint-every", "50", "--no-plots", "-q", .. extra]);

        var host = CliRunner.Run(Args(temp["host"]));
        Assert.That(host.ExitCode, Is.Zero, host.ToString());
        var straight = CliRunner.Run(Args(temp["graph"], "--sweep", "graph"));
        Assert.That(straight.ExitCode, Is.Zero, straight.ToString());

        // The graph run takes the host run's seeds and follows its losses within the noise tolerance.
        var (hostHeader, hostSteps) = TrajectoryLog.Read(temp["host/trajectory.jsonl"]);
        var (graphHeader, graphSteps) = TrajectoryLog.Read(temp["graph/trajectory.jsonl"]);
        Assert.That(graphSteps, Has.Count.EqualTo(Steps));
        Assert.That(((JsonObject)graphHeader.Options["training"]!)["weightSweep"]?.GetValue<string>(), Is.EqualTo("updater graph on cpu"));
        Assert.That(((JsonObject)hostHeader.Options["training"]!).ContainsKey("weightSweep"), Is.False);
        double largest = 0;
        for (int s = 0; s < Steps; s++)
        {
            Assert.That(graphSteps[s].Seeds, Is.EqualTo(hostSteps[s].Seeds), $"step {s}");
            for (int i = 0; i < hostSteps[s].Losses.Count; i++)
            {
                largest = Math.Max(largest, Math.Abs(graphSteps[s].Losses[i] - hostSteps[s].Losses[i]));
            }
        }
        TestContext.Out.WriteLine($"largest |graph − host| loss difference over {Steps} steps: {largest:E2}");
        Assert.That(largest, Is.LessThan(LossTolerance));

        // Killed mid-run and resumed, the graph run repeats its uninterrupted self bit for bit.
        using var victim = ChildProcess.Start("dotnet", [Repository.CliAssembly, .. Args(temp["killed"], "--sweep", "graph")]);
        _ = victim.StandardOutput.ReadToEndAsync();
        _ = victim.StandardError.ReadToEndAsync();
        var log = temp["killed/trajectory.jsonl"];
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90) && !victim.HasExited && LoggedSteps(log) < 130) Thread.Sleep(2);
        Assert.That(victim.HasExited, Is.False, "the run finished before it could be killed; raise Steps");
        victim.Kill();
        victim.WaitForExit();
        var resumed = CliRunner.Run([.. Args(temp["killed"], "--sweep", "graph"), "--resume"]);
        Assert.That(resumed.ExitCode, Is.Zero, resumed.ToString());
        Assert.That(File.ReadAllBytes(temp["killed/trajectory.jsonl"]), Is.EqualTo(File.ReadAllBytes(temp["graph/trajectory.jsonl"])), "identical trajectory log");
        Assert.That(RunResults.Load(temp["killed/results.json"])!.FinalWeightsSha256, Is.EqualTo(RunResults.Load(temp["graph/results.json"])!.FinalWeightsSha256));

        // Resuming on the host instead would replay other noise: refused, with the difference named.
        var switched = CliRunner.Run([.. Args(temp["killed"], "--sweep", "host"), "--resume"]);
        Assert.That(switched.ExitCode, Is.Not.Zero);
        Assert.That(switched.Error, Does.Contain("weightSweep"));

        var export = CliRunner.Run(["export", "--run", temp["killed"], "--out", temp["deploy"]]);
        Assert.That(export.ExitCode, Is.Zero, export.ToString());
        Assert.That(Directory.GetFiles(temp["deploy"], "*.onnx"), Is.Not.Empty, "the exported graph");
    }

    [Test]
    public void Optimizers_that_need_host_memory_refuse_a_graph_sweep_before_any_work()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 100, seed: 5);
        var result = CliRunner.Run([.. FeatureModel.FinetuneArgs(model, data, temp["run"], 10, "--optimizer", "zo-adam"), "--sweep", "graph"]);
        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.Error, Does.Contain("zo-adam").And.Contain("--sweep host"));
        Assert.That(Directory.Exists(temp["run"]), Is.False, "nothing was written");
        var capable = OptimizerCatalog.All.Where(d => d.RunsOnDevice).Select(d => d.Name);
        Assert.That(capable, Is.EquivalentTo(new[] { "bszo", "bszo-b", "mezo", "mezo-1s", "zo-sgd-cons" }));
    }

    private static long LoggedSteps(string path)
    {
        if (!File.Exists(path)) return 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long lines = 0;
        var buffer = new byte[1 << 16];
        for (int n; (n = stream.Read(buffer)) > 0;)
        {
            for (int i = 0; i < n; i++) if (buffer[i] == (byte)'\n') lines++;
        }
        return Math.Max(0, lines - 1);
    }
}
