using System.Text.Json.Nodes;
using Bszo.Models.Training;
using Bszo.Ort.Optimizers;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cluster;

/// <summary>
/// `bszo finetune --workers 2` (a coordinator and lead trainer here, two worker processes holding the
/// rows) against `bszo finetune` in one process, with the same options: the same run, step for step.
/// </summary>
[NonParallelizable]
[CancelAfter(300_000)]
public class ClusterTrajectoryTests
{
    private const long Steps = 24;

    [TestCase("mezo")]
    [TestCase("bszo", "--optimizer-option", "prior-std=1")]
    [TestCase("bszo-b", "--optimizer-option", "prior-std=1")]
    [TestCase("subzero", "--optimizer-option", "rank=2", "--optimizer-option", "refresh-interval=10")]
    [TestCase("hizoo")]
    [TestCase("mezo", "--trainable", "w2", "--trainable", "b2")]
    public void Two_workers_follow_the_single_process_trajectory(string optimizer, params string[] options)
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 400, seed: 3);
        List<string> Args(string run, params string[] more) =>
            FeatureModel.FinetuneArgs(model, data, temp[run], Steps, ["--optimizer", optimizer, .. options, "--eval-every", "12", "--quiet", "--no-plots", .. more]);

        var single = CliRunner.Run(Args("single"));
        Assert.That(single.ExitCode, Is.Zero, single.ToString());
        var cluster = CliRunner.Run(Args("cluster", "--workers", "2"));
        Assert.That(cluster.ExitCode, Is.Zero, cluster + Logs(temp["cluster"]));

        var (singleHeader, singleRecords) = TrajectoryLog.Read(temp["single/trajectory.jsonl"]);
        var (clusterHeader, clusterRecords) = TrajectoryLog.Read(temp["cluster/trajectory.jsonl"]);
        Assert.That(clusterHeader.Options.ToJsonString(), Is.EqualTo(singleHeader.Options.ToJsonString()), "the same run spec, data and schedule");
        Assert.That(clusterRecords, Has.Count.EqualTo(Steps));
        double worst = 0;
        for (int t = 0; t < Steps; t++)
        {
            Assert.That(clusterRecords[t].Seeds, Is.EqualTo(singleRecords[t].Seeds), $"seeds of step {t}");
            Assert.That(clusterRecords[t].Losses, Has.Count.EqualTo(singleRecords[t].Losses.Count));
            for (int e = 0; e < singleRecords[t].Losses.Count; e++)
            {
                double s = singleRecords[t].Losses[e], c = clusterRecords[t].Losses[e];
                worst = Math.Max(worst, Math.Abs(c - s) / Math.Max(Math.Abs(s), 1e-300));
            }
        }
        var singleResult = RunResults.Load(temp["single/results.json"])!;
        var clusterResult = RunResults.Load(temp["cluster/results.json"])!;
        var traffic = JsonNode.Parse(File.ReadAllText(temp["cluster/cluster.json"]))!;
        TestContext.Out.WriteLine($"{optimizer} {string.Join(' ', options)}: largest relative loss difference {worst:E2} over {Steps} steps; final weights " +
            (clusterResult.FinalWeightsSha256 == singleResult.FinalWeightsSha256 ? "bit-identical" : "differ") + $"; members {traffic["members"]!.ToJsonString()}");
        // Shard sums add the same per-example fp32 losses, in double and in example order, so the global mean is the
        // single-process mean up to the rounding of one extra addition per shard.
        Assert.That(worst, Is.LessThan(1e-12));
        if (worst == 0)
        {
            Assert.That(File.ReadAllBytes(temp["cluster/trajectory.jsonl"]), Is.EqualTo(File.ReadAllBytes(temp["single/trajectory.jsonl"])), "identical losses, identical log");
            Assert.That(clusterResult.FinalWeightsSha256, Is.EqualTo(singleResult.FinalWeightsSha256), "identical losses, identical updates");
        }
        Assert.That(clusterResult.FineTunedTest.Metric, Is.EqualTo(singleResult.FineTunedTest.Metric).Within(0.02));
    }

    /// <summary>The worker logs of a cluster run, for failure messages.</summary>
    internal static string Logs(string run) =>
        string.Concat(Directory.Exists(Path.Combine(run, "workers"))
            ? Directory.GetFiles(Path.Combine(run, "workers"), "worker.log", SearchOption.AllDirectories).Select(f => $"\n--- {f}\n{File.ReadAllText(f)}")
            : []);
}
