using System.Text.Json.Nodes;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Bszo.Tests.Ort;

namespace Bszo.Tests.Optimizers;

/// <summary>Properties every method of the family must have: it learns, it replays, it resumes, it is deterministic.</summary>
public class FamilyTests
{
    private static IEnumerable<string> Methods => FamilyRuns.Methods;

    [TestCaseSource(nameof(Methods))]
    public void Lowers_the_loss_of_a_small_classifier(string method)
    {
        using var f = new MlpFixture(seed: 2);
        using var eval = MlpFixture.Blobs(256, seed: 1000);
        f.Session.Bind(eval);
        double initial = f.Session.Loss();

        using var optimizer = OptimizerCatalog.Create(method, f.Sweep, FamilyRuns.Options(method, seed: 1));
        FamilyRuns.Train(optimizer, f.Session, 0, 500, examples: 32);
        f.Session.Bind(eval);
        double final = f.Session.Loss();
        TestContext.Out.WriteLine($"{method}: eval loss {initial:F4} -> {final:F4}");
        Assert.That(final, Is.LessThan(0.7 * initial));
    }

    [TestCaseSource(nameof(Methods))]
    public void Replaying_the_trajectory_log_reproduces_the_weights_exactly(string method)
    {
        using var f = new MlpFixture(seed: 3);
        f.Sweep.SetDecayable(name => name.StartsWith('w'));
        var options = FamilyRuns.Options(method, seed: 42, weightDecay: 0.01);
        using var trained = OptimizerCatalog.Create(method, f.Sweep, options);
        var logPath = f.Temp["trajectory.jsonl"];
        using (var log = TrajectoryLog.Create(logPath, new TrajectoryHeader { Optimizer = trained.Name, Options = OptimizerOptionsJson.Describe(options) }))
        {
            FamilyRuns.Train(trained, f.Session, 0, 30, log);
        }

        using var replayStore = WeightStore.Load(f.Prepared);
        Assert.That(replayStore.Checksum(), Is.Not.EqualTo(f.Store.Checksum()));
        var replaySweep = new PerturbationSweep(replayStore, new SweepOptions { Threads = 1 });
        replaySweep.SetDecayable(name => name.StartsWith('w'));
        using var replay = OptimizerCatalog.Create(method, replaySweep, options);
        var (header, records) = TrajectoryLog.Read(logPath);
        Assert.That(header.Optimizer, Is.EqualTo(method));
        foreach (var r in records) replay.Replay(r);
        Assert.That(replayStore.Checksum(), Is.EqualTo(f.Store.Checksum()));
    }

    [TestCaseSource(nameof(Methods))]
    public void Resuming_from_a_checkpoint_equals_an_uninterrupted_run(string method)
    {
        const int before = 12, after = 13;
        var options = FamilyRuns.Options(method, seed: 7, weightDecay: 0.01);

        string uninterrupted;
        using (var f = new MlpFixture(seed: 4))
        {
            f.Sweep.SetDecayable(name => name.StartsWith('w'));
            using var optimizer = OptimizerCatalog.Create(method, f.Sweep, options);
            FamilyRuns.Train(optimizer, f.Session, 0, before + after);
            uninterrupted = f.Store.Checksum();
        }

        using var g = new MlpFixture(seed: 4);
        g.Sweep.SetDecayable(name => name.StartsWith('w'));
        var checkpoint = g.Temp["checkpoint"];
        Directory.CreateDirectory(checkpoint);
        var dataPath = Path.Combine(checkpoint, "weights.bin");
        Bszo.Ort.Graph.WeightManifest manifest;
        string state;
        using (var first = OptimizerCatalog.Create(method, g.Sweep, options))
        {
            FamilyRuns.Train(first, g.Session, 0, before);
            manifest = g.Store.Save(dataPath);
            state = first.SaveState().ToJsonString();
            first.SaveTensors(checkpoint);
        }

        using var store = WeightStore.Load(manifest, dataPath);
        using var session = TrainingGraphSession.Create(g.Prepared.GraphPath, store, new SessionSettings { IntraOpThreads = 1 });
        var sweep = new PerturbationSweep(store);
        sweep.SetDecayable(name => name.StartsWith('w'));
        using var resumed = OptimizerCatalog.Create(method, sweep, options);
        resumed.LoadState(JsonNode.Parse(state)!.AsObject());
        resumed.LoadTensors(checkpoint);
        Assert.That(resumed.StepsTaken, Is.EqualTo(before));
        FamilyRuns.Train(resumed, session, before, after);
        Assert.That(store.Checksum(), Is.EqualTo(uninterrupted));
    }

    [TestCaseSource(nameof(Methods))]
    public void Steps_do_not_depend_on_threads_block_size_or_kernel(string method)
    {
        string Run(SweepOptions sweepOptions)
        {
            using var f = new MlpFixture(seed: 5, sweep: sweepOptions);
            f.Sweep.SetDecayable(name => name.StartsWith('w'));
            using var optimizer = OptimizerCatalog.Create(method, f.Sweep, FamilyRuns.Options(method, seed: 3, weightDecay: 0.01));
            FamilyRuns.Train(optimizer, f.Session, 0, 9);
            return f.Store.Checksum();
        }
        var single = Run(new SweepOptions { Threads = 1, BlockElements = 16 });
        Assert.That(Run(new SweepOptions { Threads = 2, BlockElements = 32 }), Is.EqualTo(single));
        Assert.That(Run(new SweepOptions { Threads = 2, Kernel = KernelPath.Reference }), Is.EqualTo(single));
    }

    [TestCaseSource(nameof(Methods))]
    public void Reported_state_matches_the_catalog_estimate_and_forward_passes_match_the_record(string method)
    {
        using var f = new MlpFixture();
        using var batch = MlpFixture.Blobs(8, 0);
        f.Session.Bind(batch);
        var descriptor = OptimizerCatalog.Get(method);
        using var optimizer = descriptor.CreateOptimizer(f.Sweep);
        Assert.That(optimizer.Name, Is.EqualTo(method));
        Assert.That(optimizer.StateBytes, Is.EqualTo(descriptor.EstimateStateBytes(f.Prepared.Manifest)));
        long sweeps = f.Sweep.Count;
        var record = optimizer.Step(new DelegateLossEvaluator(f.Session.Loss));
        Assert.That(record.Losses, Has.Count.EqualTo(optimizer.ForwardPassesPerStep));
        TestContext.Out.WriteLine($"{method}: {optimizer.ForwardPassesPerStep} forward passes, {f.Sweep.Count - sweeps} sweeps, {optimizer.StateBytes} state bytes");
    }
}
