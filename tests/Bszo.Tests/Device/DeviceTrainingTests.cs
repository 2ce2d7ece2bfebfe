using Bszo.Ort.Device;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Runtime;
using Bszo.Tests.Ort;

namespace Bszo.Tests.Device;

/// <summary>Training with weights on the execution device against the same run on the host.</summary>
public class DeviceTrainingTests
{
    // Tolerances: the CPU provider measured 5e-7 (noise differences of a few ulps feeding back
    // through g); CUDA adds its own fp32 reduction order in the forward pass.
    [TestCase("cpu", 1e-5)]
    [TestCase("cuda", 1e-4)]
    public void Mezo_on_the_device_follows_the_host_run(string device, double lossTolerance)
    {
        DeviceFixtures.Require(device);
        using var f = new MlpFixture(seed: 2);
        using var deviceHost = WeightStore.Load(f.Prepared);
        using var store = DeviceWeightStore.Create(deviceHost, new DeviceWeightStoreOptions { Device = device, IntraOpThreads = 1 });
        using var session = TrainingGraphSession.Create(f.Prepared, store, new SessionSettings { Device = device, IntraOpThreads = 1 });
        using var deviceSweep = DeviceSweep.Create(store);

        var options = new MezoOptions { LearningRate = 2e-3, Epsilon = 1e-3, Seed = 1, WeightDecay = 0.01 };
        f.Sweep.SetDecayable(name => name.StartsWith('w'));
        deviceSweep.SetDecayable(name => name.StartsWith('w'));
        var onHost = MezoOptimizer.Create(f.Sweep, options);
        var onDevice = MezoOptimizer.Create(deviceSweep, options);
        Assert.That(onDevice.Mutator, Is.SameAs(deviceSweep));
        Assert.Throws<Bszo.Ort.BszoException>(() => _ = onDevice.Sweep, "a device optimizer has no host sweep");

        double maxLossDifference = 0;
        for (int step = 0; step < 20; step++)
        {
            using var batch = MlpFixture.Blobs(32, seed: step);
            f.Session.Bind(batch);
            session.Bind(batch);
            var expected = onHost.Step(new DelegateLossEvaluator(f.Session.Loss));
            var actual = onDevice.Step(new DelegateLossEvaluator(session.Loss));
            Assert.That(actual.Seeds, Is.EqualTo(expected.Seeds));
            for (int i = 0; i < expected.Losses.Count; i++)
            {
                maxLossDifference = Math.Max(maxLossDifference, Math.Abs(actual.Losses[i] - expected.Losses[i]));
                Assert.That(actual.Losses[i], Is.EqualTo(expected.Losses[i]).Within(lossTolerance), $"step {step}, loss {i}");
            }
        }
        Assert.That(deviceSweep.Count, Is.EqualTo(60), "3 sweeps per two-sided MeZO step");

        store.Download();
        var trained = f.Store.Snapshot();
        var fromDevice = deviceHost.Snapshot();
        float maxWeightDifference = trained.Zip(fromDevice, (a, b) => Math.Abs(a - b)).Max();
        TestContext.Out.WriteLine($"{device}: max |Δloss| {maxLossDifference:E2}, max |Δweight| {maxWeightDifference:E2} after 20 steps");
        Assert.That(maxWeightDifference, Is.LessThan(1e-4f));
        using var untrained = WeightStore.Load(f.Prepared);
        Assert.That(fromDevice, Is.Not.EqualTo(untrained.Snapshot()), "training moved the device weights");
    }

    [TestCase("cpu", 1e-5)]
    [TestCase("cuda", 1e-4)]
    public void Bszo_on_the_device_follows_the_host_run(string device, double lossTolerance)
    {
        DeviceFixtures.Require(device);
        using var f = new MlpFixture(seed: 3);
        using var deviceHost = WeightStore.Load(f.Prepared);
        using var store = DeviceWeightStore.Create(deviceHost, new DeviceWeightStoreOptions { Device = device, IntraOpThreads = 1 });
        using var session = TrainingGraphSession.Create(f.Prepared, store, new SessionSettings { Device = device, IntraOpThreads = 1 });
        using var deviceSweep = DeviceSweep.Create(store);

        var options = new BszoOptions { LearningRate = 2e-2, Epsilon = 1e-3, Seed = 5, PriorStd = 1 };
        var onHost = BszoOptimizer.Create(f.Sweep, options);
        var onDevice = BszoOptimizer.Create(deviceSweep, options);
        Assert.That(onDevice.PriorVariance, Is.EqualTo(onHost.PriorVariance));
        for (int step = 0; step < 20; step++)
        {
            using var batch = MlpFixture.Blobs(32, seed: step);
            f.Session.Bind(batch);
            session.Bind(batch);
            var expected = onHost.Step(new DelegateLossEvaluator(f.Session.Loss));
            var actual = onDevice.Step(new DelegateLossEvaluator(session.Loss));
            for (int i = 0; i < expected.Losses.Count; i++)
            {
                Assert.That(actual.Losses[i], Is.EqualTo(expected.Losses[i]).Within(lossTolerance), $"step {step}, loss {i}");
            }
        }
        Assert.That(deviceSweep.Count, Is.EqualTo(60), "k + 1 = 3 sweeps per BSZO step");
        store.Download();
        Assert.That(f.Store.Snapshot().Zip(deviceHost.Snapshot(), (a, b) => Math.Abs(a - b)).Max(), Is.LessThan(1e-4f));
    }
}
