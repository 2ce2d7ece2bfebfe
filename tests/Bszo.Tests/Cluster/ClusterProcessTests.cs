using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Training;
using Bszo.Models.Training;
using Bszo.Ort.Optimizers;

namespace Bszo.Tests.Cluster;

/// <summary>Real worker processes on loopback, against the same training in one process.</summary>
[NonParallelizable]
[CancelAfter(120_000)]
public class ClusterProcessTests
{
    private static ClusterTrainingSpec Spec(string optimizer, long steps) => new()
    {
        Run = new RunSpec
        {
            Optimizer = optimizer,
            Options = optimizer switch
            {
                "mezo" => new MezoOptions { LearningRate = 2e-3, Epsilon = 1e-3, Seed = 7, TotalSteps = steps },
                // Rank 4 and a refresh every 15 steps: the subspaces are redrawn twice within the run.
                "subzero" => new SubZeroOptions { LearningRate = 2e-3, Epsilon = 1e-3, Seed = 7, TotalSteps = steps, Rank = 4, RefreshInterval = 15 },
                _ => new BszoOptions { LearningRate = 1e-2, Epsilon = 1e-3, Seed = 7, TotalSteps = steps, PriorStd = 0.5, InitialNoiseStd = 0.5 },
            },
            BatchSize = 30,
            DataSeed = 11,
        },
        ChecksumEvery = 5,
        SnapshotEvery = 10,
    };

    [TestCase("mezo", 3)]
    [TestCase("bszo", 2)]
    [TestCase("subzero", 2)]
    public async Task Workers_follow_the_single_process_trajectory_and_end_with_equal_weights(string optimizer, int workers)
    {
        const long steps = 40;
        var spec = Spec(optimizer, steps);
        await using var bed = new ClusterTestBed();
        var coordinator = await bed.StartCoordinatorAsync(spec, o => o with { StartWorkers = workers, MinWorkers = workers });
        for (int i = 0; i < workers; i++) bed.StartWorker($"w{i}");
        var summary = await bed.FinishAsync(TimeSpan.FromSeconds(90));

        Assert.That(summary.State, Is.EqualTo(RunState.Completed), summary.Error + bed.Output());
        Assert.That(summary.Steps, Is.EqualTo(steps));
        Assert.That(summary.Members, Has.Count.EqualTo(workers));
        foreach (var w in bed.Workers)
        {
            Assert.That(w.Process.ExitCode, Is.Zero, w.Output);
            var s = bed.Summary(w.Name);
            Assert.That(s.FinalChecksum, Is.EqualTo(summary.FinalChecksum), $"{w.Name}'s final weights");
            Assert.That(s.TrainedSteps, Is.EqualTo(steps));
        }

        var (reference, referenceWeights) = bed.SingleProcess(spec);
        var cluster = coordinator.Records();
        Assert.That(cluster, Has.Count.EqualTo(steps));
        double worst = 0;
        for (int t = 0; t < steps; t++)
        {
            Assert.That(cluster[t].Seeds, Is.EqualTo(reference[t].Seeds), $"seeds of step {t}");
            for (int e = 0; e < reference[t].Losses.Count; e++)
            {
                double r = reference[t].Losses[e], c = cluster[t].Losses[e];
                worst = Math.Max(worst, Math.Abs(c - r) / Math.Max(Math.Abs(r), 1e-12));
            }
        }
        var weights = bed.FinalWeights("w0");
        double weightError = weights.Zip(referenceWeights, (a, b) => (double)Math.Abs(a - b)).Max();
        TestContext.Out.WriteLine($"{workers} workers, {steps} {optimizer} steps: largest relative loss difference {worst:E2}, largest weight difference {weightError:E2}, {summary.Elapsed.TotalSeconds:F1} s");
        // Shard sums add the same per-example fp32 losses in another order (and ONNX Runtime may round a
        // smaller batch's rows differently), so agreement is to fp32 rounding, amplified a little by 1/ε.
        Assert.That(worst, Is.LessThan(1e-5));
        Assert.That(weightError, Is.LessThan(1e-4));
    }
}
