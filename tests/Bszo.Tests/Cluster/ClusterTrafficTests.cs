using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Data;
using Bszo.Cluster.Training;
using Bszo.Models.Training;
using Bszo.Ort.Optimizers;

namespace Bszo.Tests.Cluster;

/// <summary>What crosses the network per step, counted at the coordinator's Orleans boundary.</summary>
[NonParallelizable]
[CancelAfter(120_000)]
public class ClusterTrafficTests
{
    private const int Workers = 2;
    private const long Steps = 15;

    [Test]
    public async Task Traffic_per_step_is_a_few_scalars_per_worker_and_forward_pass_whatever_the_model_size()
    {
        var small = await MeasureAsync(hidden: 16);
        var large = await MeasureAsync(hidden: 1024);
        TestContext.Out.WriteLine($"195 weights: {small.BytesPerStep:F0} B/step in {small.CallsPerStep:F2} calls; " +
            $"{large.Weights} weights ({large.Weights * 4} B): {large.BytesPerStep:F0} B/step in {large.CallsPerStep:F2} calls; wire {large.WireBytesPerStep:F0} B/step");

        // MeZO (n = 1): two forward passes per step. Per worker and step: one boundary call and two loss calls.
        const int forwardPasses = 2;
        foreach (var m in new[] { small, large })
        {
            Assert.That(m.CallsPerStep, Is.LessThanOrEqualTo(Workers * (forwardPasses + 1) * 1.1), "calls per step");
            Assert.That(m.CallsPerStep, Is.GreaterThanOrEqualTo(Workers * (forwardPasses + 1) * 0.9), "calls per step");
            // A loss call carries (step, pass, worker, sum, count) and returns one double; the boundary call adds
            // the step's record (a seed, two losses, a few named scalars) and, every fifth step, a 64-character checksum.
            Assert.That(m.BytesPerStep, Is.LessThan(Workers * (forwardPasses + 1) * 2 * 256), "payload bytes per step");
        }
        // No tensor crosses: a model with 250 times more weights costs the same traffic (to a few bytes of varints).
        Assert.That(large.BytesPerStep, Is.EqualTo(small.BytesPerStep).Within(5).Percent);
        Assert.That(large.BytesPerStep, Is.LessThan(large.Weights * 4 / 20.0));
    }

    private sealed record Measurement(double CallsPerStep, double BytesPerStep, double WireBytesPerStep, long Weights);

    private static async Task<Measurement> MeasureAsync(int hidden)
    {
        var spec = new ClusterTrainingSpec
        {
            Run = new RunSpec { Optimizer = "mezo", Options = new MezoOptions { LearningRate = 1e-3, Epsilon = 1e-3, Seed = 3, TotalSteps = Steps }, BatchSize = 16, DataSeed = 5 },
            ChecksumEvery = 5,
            SnapshotEvery = 1000,
        };
        await using var bed = new ClusterTestBed(examples: 64, hidden: hidden);
        TrafficReport? afterFirst = null;
        ClusterCoordinator? coordinator = null;
        // Counting starts once the first step is recorded: joining and the first boundary wait for start-up.
        coordinator = await bed.StartCoordinatorAsync(spec, o => o with
        {
            StartWorkers = Workers,
            MinWorkers = Workers,
            PollHold = TimeSpan.FromSeconds(20),
            OnEvent = e =>
            {
                if (e is { Kind: ClusterEventKind.StepCompleted, Step: 0 }) afterFirst = coordinator!.Traffic;
            },
        });
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        var workers = Enumerable.Range(0, Workers).Select(i => bed.RunWorkerInProcess($"w{i}", cancel.Token)).ToList();
        var summary = await coordinator.WaitAsync(cancel.Token);
        var finished = await Task.WhenAll(workers);
        Assert.That(summary.State, Is.EqualTo(RunState.Completed), summary.Error);
        Assert.That(finished.Select(f => f.FinalChecksum).Distinct(), Has.Exactly(1).EqualTo(summary.FinalChecksum));
        Assert.That(afterFirst, Is.Not.Null);

        var end = summary.Traffic;
        string[] perStep = ["BeginStep", "Submit"];
        double steps = Steps - 1;
        long calls = perStep.Sum(m => end[m].Calls - afterFirst![m].Calls);
        long bytes = perStep.Sum(m => end[m].RequestBytes + end[m].ResponseBytes - afterFirst![m].RequestBytes - afterFirst[m].ResponseBytes);
        using var store = Bszo.Ort.Runtime.WeightStore.Load(bed.Prepared);
        return new Measurement(calls / steps, bytes / steps, (end.WireBytes - afterFirst!.WireBytes) / steps, store.ElementCount);
    }
}
