using Bszo.Ort.Device;
using Bszo.Ort.Graph;
using Bszo.Ort.Perturbation;
using Bszo.Tests.Support;

namespace Bszo.Tests.Device;

/// <summary>
/// The device path (weights in memory of the execution device, sweeps by the updater graph). Each
/// test runs on the CPU provider, which exercises everything but the CUDA kernels, and on CUDA
/// where this build has it.
/// </summary>
public class DeviceWeightStoreTests
{
    [TestCase("cpu")]
    [TestCase("cuda")]
    public void Upload_and_download_round_trip_the_masters_and_round_the_runtime_copies_like_the_host(string device)
    {
        DeviceFixtures.Require(device);
        using var temp = new TempDirectory();
        using var host = DeviceFixtures.MixedStore(temp, seed: 1);
        var original = host.Snapshot();
        using var store = DeviceWeightStore.Create(host, new DeviceWeightStoreOptions { Device = device, IntraOpThreads = 1, TransferChunkElements = 64 });

        long expectedBytes = host.Tensors.Sum(t => (t.Count + 31) / 32 * 32 * (t.HasRuntimeCopy ? 6 : 4));
        Assert.That(store.DeviceBytes, Is.EqualTo(expectedBytes));
        foreach (var t in host.Tensors.Where(t => t.HasRuntimeCopy))
        {
            var expected = new ushort[t.Count];
            HalfBits.FromSingle(host.Master(t.Entry.Id), t.Entry.StorageType, expected);
            Assert.That(store.ReadRuntimeCopy(t.Entry.Id), Is.EqualTo(expected), t.Entry.Name);
        }

        host.Restore(new float[original.Length]);
        store.Download();
        Assert.That(host.Snapshot().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(original.Select(BitConverter.SingleToInt32Bits)));
    }

    [TestCase("cpu")]
    [TestCase("cuda")]
    public void Rademacher_device_sweeps_match_host_sweeps_bit_for_bit(string device)
    {
        DeviceFixtures.Require(device);
        using var temp = new TempDirectory();
        using var deviceHost = DeviceFixtures.MixedStore(temp, seed: 3);
        using var reference = DeviceFixtures.MixedStore(temp, seed: 3);
        using var store = DeviceWeightStore.Create(deviceHost, new DeviceWeightStoreOptions { Device = device, IntraOpThreads = 1 });
        using var deviceSweep = DeviceSweep.Create(store, new DeviceSweepOptions { ChunkElements = 96, Noise = NoiseKind.Rademacher });
        var hostSweep = new PerturbationSweep(reference, new SweepOptions { Threads = 1, Noise = NoiseKind.Rademacher });
        foreach (var sweep in new IWeightMutator[] { deviceSweep, hostSweep }) ApplyTheSameSweeps(sweep);
        store.Download();
        Assert.That(reference.Checksum(), Is.Not.EqualTo(DeviceFixtures.MixedStore(temp, seed: 3).Checksum()), "the sweeps changed the weights");
        foreach (var t in reference.Tensors)
        {
            Assert.That(deviceHost.Master(t.Entry.Id).ToArray().Select(BitConverter.SingleToInt32Bits),
                Is.EqualTo(reference.Master(t.Entry.Id).ToArray().Select(BitConverter.SingleToInt32Bits)), t.Entry.Name);
            if (t.HasRuntimeCopy)
            {
                var rounded = new ushort[t.Count];
                HalfBits.FromSingle(reference.Master(t.Entry.Id), t.Entry.StorageType, rounded);
                Assert.That(store.ReadRuntimeCopy(t.Entry.Id), Is.EqualTo(rounded), $"{t.Entry.Name}: the runtime copy is the rounded masters");
            }
        }
    }

    [TestCase("cpu")]
    [TestCase("cuda")]
    public void Device_sweeps_match_host_sweeps_within_the_noise_tolerance(string device)
    {
        DeviceFixtures.Require(device);
        using var temp = new TempDirectory();
        using var deviceHost = DeviceFixtures.MixedStore(temp, seed: 2);
        using var reference = DeviceFixtures.MixedStore(temp, seed: 2);
        using var store = DeviceWeightStore.Create(deviceHost, new DeviceWeightStoreOptions { Device = device, IntraOpThreads = 1 });
        using var deviceSweep = DeviceSweep.Create(store, new DeviceSweepOptions { ChunkElements = 256 });
        var hostSweep = new PerturbationSweep(reference, new SweepOptions { Threads = 1 });
        foreach (var sweep in new IWeightMutator[] { deviceSweep, hostSweep }) ApplyTheSameSweeps(sweep);
        Assert.That(deviceSweep.Count, Is.EqualTo(4));
        Assert.That(reference.Checksum(), Is.Not.EqualTo(DeviceFixtures.MixedStore(temp, seed: 2).Checksum()), "the sweeps changed the weights");

        store.Download();
        // Σ|c| over all sweeps times the noise tolerance, plus a few roundings of weights of size ~1.
        float tolerance = (0.01f + 0.003f + 0.5f + 0.004f) * Bszo.Tests.Device.SweepGraphTests.NoiseTolerance + 4e-7f;
        float maxDifference = 0;
        foreach (var t in reference.Tensors)
        {
            var expected = reference.Master(t.Entry.Id);
            var actual = deviceHost.Master(t.Entry.Id);
            for (int i = 0; i < expected.Length; i++) maxDifference = Math.Max(maxDifference, Math.Abs(actual[i] - expected[i]));
            if (t.HasRuntimeCopy)
            {
                var rounded = new ushort[t.Count];
                HalfBits.FromSingle(actual, t.Entry.StorageType, rounded);
                Assert.That(store.ReadRuntimeCopy(t.Entry.Id), Is.EqualTo(rounded), $"{t.Entry.Name}: the runtime copy is the rounded masters");
            }
        }
        TestContext.Out.WriteLine($"{device}: max |device − host| = {maxDifference:E2} (tolerance {tolerance:E2})");
        Assert.That(float.IsNaN(maxDifference), Is.False, "no weight is NaN on either side");
        Assert.That(maxDifference, Is.LessThanOrEqualTo(tolerance));
    }

    [Test]
    public void Asking_for_CUDA_without_the_GPU_build_explains_how_to_get_it()
    {
        if (Bszo.Ort.Runtime.ExecutionDevice.IsCudaAvailable) Assert.Ignore("this build has the CUDA execution provider");
        using var temp = new TempDirectory();
        using var host = DeviceFixtures.MixedStore(temp, seed: 3);
        var e = Assert.Throws<Bszo.Ort.BszoException>(() => DeviceWeightStore.Create(host, new DeviceWeightStoreOptions { Device = "cuda:1" }));
        Assert.That(e!.Message, Does.Contain("CUDA execution provider").And.Contain("-p:BszoCuda=true"));
    }

    [Test]
    public void A_session_on_another_device_than_its_weights_is_refused()
    {
        using var f = new Bszo.Tests.Ort.MlpFixture();
        using var host = Bszo.Ort.Runtime.WeightStore.Load(f.Prepared);
        using var store = DeviceWeightStore.Create(host, new DeviceWeightStoreOptions { Device = "cpu", IntraOpThreads = 1 });
        var e = Assert.Throws<Bszo.Ort.BszoException>(() =>
            Bszo.Ort.Runtime.TrainingGraphSession.Create(f.Prepared, store, new Bszo.Ort.Runtime.SessionSettings { Device = "cuda:0" }));
        Assert.That(e!.Message, Does.Contain("weights are on 'cpu'"));
    }

    /// <summary>
    /// The sweeps both sides of a device/host comparison make: fused terms with decay on one tensor,
    /// a single term, a decay-only sweep and three fused terms (4 sweeps; Σ|c| = 0.517).
    /// </summary>
    private static void ApplyTheSameSweeps(IWeightMutator sweep)
    {
        sweep.SetDecayable(name => name == "dense");
        sweep.Apply([new SweepTerm(1, 1e-2), new SweepTerm(2, -3e-3)], decay: 0.99);
        sweep.Apply(3, 0.5);
        sweep.Apply([], decay: 0.9);
        sweep.Apply([new SweepTerm(4, 1e-3), new SweepTerm(5, 2e-3), new SweepTerm(6, -1e-3)]);
    }
}
