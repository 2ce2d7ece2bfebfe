using System.Text.Json.Nodes;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cluster;

/// <summary>What crosses the network per step of `bszo finetune --workers 2`, as its coordinator counted it (cluster.json).</summary>
[NonParallelizable]
[CancelAfter(180_000)]
public class ClusterTrafficTests
{
    private const int Workers = 2;
    private const long Steps = 200;

    [Test]
    public void Traffic_per_step_is_a_few_scalars_per_worker_and_forward_pass_whatever_the_model_size()
    {
        var small = Measure(hidden: 16);
        var large = Measure(hidden: 1024);
        TestContext.Out.WriteLine($"{small.Weights} weights: {small.BytesPerStep:F0} B/step in {small.CallsPerStep:F2} calls; " +
            $"{large.Weights} weights ({large.Weights * 4} B): {large.BytesPerStep:F0} B/step in {large.CallsPerStep:F2} calls");

        // MeZO: two forward passes per step. Per worker and step: one boundary call and two loss calls (a
        // few more while the run starts: calls held at a boundary are answered "retry" and repeated).
        const int forwardPasses = 2;
        foreach (var m in new[] { small, large })
        {
            Assert.That(m.CallsPerStep, Is.InRange(Workers * (forwardPasses + 1) * 0.95, Workers * (forwardPasses + 1) * 1.1), "calls per step");
            // A loss call carries (step, pass, worker, sum, count) and returns one double; the boundary call adds
            // the step's record (a seed, two losses, a few named scalars) and, every tenth step, a 64-character checksum.
            Assert.That(m.BytesPerStep, Is.LessThan(Workers * (forwardPasses + 1) * 2 * 256), "payload bytes per step");
        }
        // No tensor crosses: a model with 60 times more weights costs the same traffic (to a few bytes of varints).
        Assert.That(large.BytesPerStep, Is.EqualTo(small.BytesPerStep).Within(5).Percent);
        Assert.That(large.BytesPerStep, Is.LessThan(large.Weights * 4 / 20.0));
    }

    private sealed record Measurement(double CallsPerStep, double BytesPerStep, long Weights);

    private static Measurement Measure(int hidden)
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"], hidden: hidden);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 300, seed: 5);
        var run = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["run"], Steps, "--workers", $"{Workers}", "--eval-every", $"{Steps}", "--quiet", "--no-plots"));
        Assert.That(run.ExitCode, Is.Zero, run + ClusterTrajectoryTests.Logs(temp["run"]));
        var cluster = JsonNode.Parse(File.ReadAllText(temp["run/cluster.json"]))!;
        var methods = cluster["traffic"]!["methods"]!.AsArray().Where(m => (string?)m!["method"] is "BeginStep" or "Submit").ToList();
        long calls = methods.Sum(m => (long)m!["calls"]!);
        long bytes = methods.Sum(m => (long)m!["requestBytes"]! + (long)m!["responseBytes"]!);
        long weights = (long)JsonNode.Parse(File.ReadAllText(temp["run/config.json"]))!["resolved"]!["trainable_elements"]!;
        return new Measurement(calls / (double)Steps, bytes / (double)Steps, weights);
    }
}
