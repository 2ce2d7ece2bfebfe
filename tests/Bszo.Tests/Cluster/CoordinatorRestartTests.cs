using System.Collections.Concurrent;
using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Data;
using Bszo.Cluster.Training;
using Bszo.Models.Training;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;

namespace Bszo.Tests.Cluster;

/// <summary>The coordinator's state is its trajectory log: a restarted coordinator resumes the run from it.</summary>
[NonParallelizable]
[CancelAfter(120_000)]
public class CoordinatorRestartTests
{
    [Test]
    public async Task A_restarted_coordinator_resumes_from_its_log_and_the_workers_rejoin_from_their_snapshots()
    {
        var spec = new ClusterTrainingSpec
        {
            Run = new RunSpec { Optimizer = "bszo", Options = new BszoOptions { LearningRate = 1e-2, Epsilon = 1e-3, Seed = 5, TotalSteps = 1_000_000, PriorStd = 0.5, InitialNoiseStd = 0.5 }, BatchSize = 20, DataSeed = 9 },
            ChecksumEvery = 5,
            SnapshotEvery = 10,
        };
        await using var bed = new ClusterTestBed();
        var events = new ConcurrentQueue<ClusterEvent>();
        var first = await bed.StartCoordinatorAsync(spec, o => o with { StartWorkers = 2, MinWorkers = 2, OnEvent = events.Enqueue });
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        var workers = new[] { bed.RunWorkerInProcess("w0", cancel.Token), bed.RunWorkerInProcess("w1", cancel.Token) };
        await Until(() => first.Status.StepsRecorded >= 25 || workers.Any(w => w.IsFaulted), "25 steps");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var second = await bed.RestartCoordinatorAsync();
        TestContext.Out.WriteLine($"restart took {clock.Elapsed.TotalSeconds:F1} s");
        long resumedAt = second.Status.StepsRecorded;
        Assert.That(resumedAt, Is.GreaterThanOrEqualTo(25), "the new coordinator read the log");
        await Until(() => second.Status.StepsRecorded >= resumedAt + 15 || workers.Any(w => w.IsFaulted), "15 steps after the restart");
        TestContext.Out.WriteLine($"15 steps after restart at {clock.Elapsed.TotalSeconds:F1} s");
        second.RequestStop();
        var summary = await second.WaitAsync(cancel.Token);
        var finished = await Task.WhenAll(workers);

        Assert.That(summary.State, Is.EqualTo(RunState.Completed), summary.Error);
        Assert.That(finished.Select(f => f.FinalChecksum), Is.All.EqualTo(summary.FinalChecksum));
        Assert.That(finished.Select(f => f.Rejoins), Is.All.Zero, "losing the coordinator is no eviction");
        Assert.That(finished.Select(f => f.StartedFromStep), Is.All.GreaterThanOrEqualTo(20), "workers restarted from their snapshots");
        TestContext.Out.WriteLine($"restarted at step {resumedAt}; workers resumed from snapshots at {string.Join(", ", finished.Select(f => f.StartedFromStep))}; ended at {summary.Steps}");

        // One log across both coordinators: replaying it over the base weights gives the final weights.
        using var store = WeightStore.Load(bed.Prepared);
        using var replay = spec.Run.CreateOptimizer(new PerturbationSweep(store, new SweepOptions { Threads = 1 }));
        foreach (var record in second.Records()) replay.Replay(record);
        Assert.That(store.Checksum(), Is.EqualTo(summary.FinalChecksum));
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Waited 60 s for {what}.");
            await Task.Delay(50);
        }
    }
}
