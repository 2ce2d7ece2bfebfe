using Bszo.Ort.Perturbation;

namespace Bszo.Tests.Ort;

public class SweepTests
{
    [TestCase(NoiseKind.Gaussian)]
    [TestCase(NoiseKind.Rademacher)]
    public void Results_do_not_depend_on_thread_count_block_size_or_kernel_path(NoiseKind noise)
    {
        string Run(SweepOptions options)
        {
            using var f = new MlpFixture(sweep: options with { Noise = noise });
            f.Sweep.Apply([new SweepTerm(1, 1e-2), new SweepTerm(2, -3e-3)]);
            f.Sweep.Apply(3, 5e-3, decay: 0.99);
            return f.Store.Checksum();
        }
        var single = Run(new SweepOptions { Threads = 1, BlockElements = 16 });
        Assert.That(Run(new SweepOptions { Threads = 2, BlockElements = 32 }), Is.EqualTo(single));
        Assert.That(Run(new SweepOptions { Threads = 4, BlockElements = 1 << 15 }), Is.EqualTo(single));
        foreach (var path in NoiseTests.RunnablePaths)
        {
            Assert.That(Run(new SweepOptions { Threads = 2, Kernel = path }), Is.EqualTo(single), $"{path} kernel");
        }
    }

    [Test]
    public void The_noise_kind_changes_the_directions()
    {
        string Run(NoiseKind noise)
        {
            using var f = new MlpFixture(sweep: new SweepOptions { Noise = noise });
            f.Sweep.Apply(1, 1e-2);
            return f.Store.Checksum();
        }
        Assert.That(Run(NoiseKind.Rademacher), Is.Not.EqualTo(Run(NoiseKind.Gaussian)));
    }

    [Test]
    public void A_rademacher_sweep_moves_every_weight_by_exactly_plus_or_minus_the_coefficient()
    {
        using var f = new MlpFixture(sweep: new SweepOptions { Noise = NoiseKind.Rademacher });
        var before = f.Store.Tensors.Select(t => f.Store.Master(t.Entry.Id).ToArray()).ToArray();
        f.Sweep.Apply(7, 0.25);
        foreach (var t in f.Store.Tensors)
        {
            var after = f.Store.Master(t.Entry.Id);
            ulong key = SquaresRng.Key(7, t.Entry.Id);
            for (int i = 0; i < after.Length; i++)
            {
                Assert.That(after[i], Is.EqualTo(before[t.Entry.Id][i] + 0.25f * RademacherNoise.Value(key, i)), $"{t.Entry.Name}[{i}]");
            }
        }
    }

    [Test]
    public void A_fused_sweep_equals_the_same_terms_applied_to_each_element_by_the_definition()
    {
        using var f = new MlpFixture();
        var before = f.Store.Tensors.Select(t => f.Store.Master(t.Entry.Id).ToArray()).ToArray();
        f.Sweep.Apply([new SweepTerm(10, 0.25), new SweepTerm(11, -0.5)]);
        foreach (var t in f.Store.Tensors)
        {
            var after = f.Store.Master(t.Entry.Id);
            ulong k1 = SquaresRng.Key(10, t.Entry.Id), k2 = SquaresRng.Key(11, t.Entry.Id);
            for (int i = 0; i < after.Length; i++)
            {
                float sum = 0f + 0.25f * GaussianNoise.Value(k1, i);
                sum += -0.5f * GaussianNoise.Value(k2, i);
                Assert.That(after[i], Is.EqualTo(before[t.Entry.Id][i] + sum));
            }
        }
    }

    [Test]
    public void Plus_then_minus_epsilon_restores_within_fp32_rounding_and_drift_stays_bounded()
    {
        using var f = new MlpFixture();
        const double eps = 1e-3;
        var original = f.Store.Snapshot();

        f.Sweep.Apply(1, eps);
        f.Sweep.Apply(1, -eps);
        var once = f.Store.Snapshot();
        for (int i = 0; i < once.Length; i++)
        {
            // One perturb/restore cycle rounds twice: at most one ulp of the perturbed magnitude.
            float ulp = MathF.BitIncrement(MathF.Abs(original[i]) + 6 * (float)eps) - (MathF.Abs(original[i]) + 6 * (float)eps);
            Assert.That(Math.Abs(once[i] - original[i]), Is.LessThanOrEqualTo(ulp), $"element {i}");
        }

        const int cycles = 1000;
        for (int c = 0; c < cycles; c++)
        {
            f.Sweep.Apply((ulong)(1000 + c), eps);
            f.Sweep.Apply((ulong)(1000 + c), -eps);
        }
        var after = f.Store.Snapshot();
        double sumSq = 0;
        double worst = 0;
        for (int i = 0; i < after.Length; i++)
        {
            float scale = MathF.Abs(original[i]) + 6 * (float)eps;
            float ulp = MathF.BitIncrement(scale) - scale;
            double inUlps = Math.Abs(after[i] - original[i]) / ulp;
            worst = Math.Max(worst, inUlps);
            sumSq += inUlps * inUlps;
        }
        double rms = Math.Sqrt(sumSq / after.Length);
        // 2000 roundings of at most half an ulp each: a hard bound of 1000 ulps. The drift is a
        // random walk, so its RMS should stay near √2000 · 0.29 ≈ 13 ulps; 40 leaves room.
        Assert.That(worst, Is.LessThanOrEqualTo(cycles));
        Assert.That(rms, Is.LessThan(40), $"RMS drift {rms:F1} ulps after {cycles} cycles");
        TestContext.Out.WriteLine($"drift after {cycles} ±ε cycles: RMS {rms:F2} ulps, worst {worst:F1} ulps");
    }

    [Test]
    public void A_sweep_does_not_allocate_per_element()
    {
        using var f = new MlpFixture(sweep: new SweepOptions { Threads = 1 });
        SweepTerm[] terms = [new(1, 1e-3), new(2, 1e-3)];
        long allocated = Bszo.Tests.Support.Allocations.BestRound(() => f.Sweep.Apply(terms));
        Assert.That(allocated, Is.EqualTo(0), "single-threaded sweeps must not allocate");
    }
}
