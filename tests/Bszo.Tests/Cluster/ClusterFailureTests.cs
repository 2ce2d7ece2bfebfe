using System.Collections.Concurrent;
using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Data;
using Bszo.Cluster.Training;
using Bszo.Models.Training;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;

namespace Bszo.Tests.Cluster;

/// <summary>A worker process killed mid-run: the others go on, and the restarted worker rejoins by replay.</summary>
[NonParallelizable]
[CancelAfter(150_000)]
public class ClusterFailureTests
{
    [Test]
    public async Task A_killed_worker_is_dropped_the_run_goes_on_and_the_restarted_worker_rejoins_by_replay()
    {
        // Open-ended run: the test stops it once the restarted worker has trained alongside the others.
        var spec = new ClusterTrainingSpec
        {
            Run = new RunSpec { Optimizer = "mezo", Options = new MezoOptions { LearningRate = 1e-3, Epsilon = 1e-3, Seed = 21, TotalSteps = 1_000_000 }, BatchSize = 24, DataSeed = 2 },
            ChecksumEvery = 5,
            SnapshotEvery = 10,
        };
        await using var bed = new ClusterTestBed();
        var events = new ConcurrentQueue<ClusterEvent>();
        var coordinator = await bed.StartCoordinatorAsync(spec, o => o with
        {
            StartWorkers = 3,
            MinWorkers = 2,
            HeartbeatTimeout = TimeSpan.FromSeconds(3),
            OnEvent = events.Enqueue,
        });
        for (int i = 0; i < 3; i++) bed.StartWorker($"w{i}");

        await Until(() => coordinator.Status.StepsRecorded >= 15, TimeSpan.FromSeconds(60), "15 steps with three workers", bed);
        bed.Workers[2].Kill();
        long killedAt = coordinator.Status.StepsRecorded;
        await Until(() => events.Any(e => e is { Kind: ClusterEventKind.WorkerLost, Worker: "w2" }), TimeSpan.FromSeconds(20), "w2 declared dead", bed);
        long lostAt = coordinator.Status.StepsRecorded;
        await Until(() => coordinator.Status.StepsRecorded >= lostAt + 10, TimeSpan.FromSeconds(30), "10 steps with two workers", bed);
        Assert.That(coordinator.Status.Members, Is.EqualTo(new[] { "w0", "w1" }));

        bed.StartWorker("w2");
        await Until(() => events.Count(e => e is { Kind: ClusterEventKind.WorkerAdmitted, Worker: "w2" }) == 2, TimeSpan.FromSeconds(60), "w2 admitted again", bed);
        long rejoinedAt = events.Last(e => e is { Kind: ClusterEventKind.WorkerAdmitted, Worker: "w2" }).Step;
        await Until(() => coordinator.Status.StepsRecorded >= rejoinedAt + 10, TimeSpan.FromSeconds(30), "10 steps with w2 back", bed);
        coordinator.RequestStop();
        var summary = await bed.FinishAsync(TimeSpan.FromSeconds(60));

        Assert.That(summary.State, Is.EqualTo(RunState.Completed), summary.Error + bed.Output());
        Assert.That(summary.Members, Is.EqualTo(new[] { "w0", "w1", "w2" }));
        var w2 = bed.Summary("w2");
        TestContext.Out.WriteLine($"killed at step ~{killedAt}, dropped at {lostAt}, w2 back at step {rejoinedAt} from its snapshot at step {w2.StartedFromStep} " +
            $"after replaying {w2.ReplayedSteps} steps; run ended at step {summary.Steps} in {summary.Elapsed.TotalSeconds:F1} s");
        Assert.That(w2.StartedFromStep, Is.GreaterThanOrEqualTo(10), "the restarted worker started from its snapshot, not the base weights");
        Assert.That(w2.ReplayedSteps, Is.EqualTo(rejoinedAt - w2.StartedFromStep), "it caught up by replaying the log");
        foreach (var name in new[] { "w0", "w1", "w2" })
        {
            Assert.That(bed.Summary(name).FinalChecksum, Is.EqualTo(summary.FinalChecksum), $"{name}'s final weights");
        }

        // The log is a complete checkpoint: replaying it over the base weights gives every worker's final weights.
        using var store = WeightStore.Load(bed.Prepared);
        using var replay = spec.Run.CreateOptimizer(new PerturbationSweep(store, new SweepOptions { Threads = 1 }));
        foreach (var record in coordinator.Records()) replay.Replay(record);
        Assert.That(store.Checksum(), Is.EqualTo(summary.FinalChecksum));
        Assert.That(coordinator.Records().Select(r => r.Step), Is.EqualTo(Enumerable.Range(0, (int)summary.Steps).Select(i => (long)i)));
    }

    private static async Task Until(Func<bool> condition, TimeSpan limit, string what, ClusterTestBed bed)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Waited {limit.TotalSeconds} s for {what}: {ClusterTestBed.Describe(bed.Coordinator!.Status)}\n{bed.Output()}");
            }
            await Task.Delay(50);
        }
    }
}
