using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Tests.Ort;
using Bszo.Tests.Support;

namespace Bszo.Tests.Optimizers;

/// <summary>The vectorised per-element and low-rank kernels against their scalar references, bit for bit.</summary>
public class KernelTests
{
    // Starts and lengths that cover aligned groups, partial heads and tails, and runs shorter than a group.
    private static readonly (long Start, int Length)[] Ranges = [(0, 64), (5, 70), (16, 3), (13, 1), (1000, 47), (31, 16), (7, 700)];

    [Test]
    public void Momentum_fast_kernel_equals_reference() =>
        AssertKernelsAgree(new MomentumUpdate(1e-3f, -2.5f, 0.9f, 1e-2f), positiveState: false);

    [Test]
    public void Adam_fast_kernel_equals_reference() =>
        AssertKernelsAgree(new AdamUpdate(1e-3f, 3.25f, 0.9f, 0.1f, 0.999f, 0.001f, 1e-3f, 0.0447f, 1e-8f), positiveState: true);

    [Test]
    public void Hessian_perturbation_fast_kernel_equals_reference() =>
        AssertKernelsAgree(new HessianPerturbation(-2e-3f), positiveState: true);

    [Test]
    public void Hessian_update_fast_kernel_equals_reference() =>
        AssertKernelsAgree(new HessianUpdate(1e-3f, 0.99f, 0.37f, 1e-4f, 2e-3f), positiveState: true);

    [Test]
    public void Gaussian_step_fast_kernel_equals_reference() =>
        AssertKernelsAgree(new GaussianStepUpdate(1e-3f, -5e-3f), positiveState: false);

    [Test]
    public void Hessian_update_clamps_from_below_in_both_kernels()
    {
        // A strongly negative smoothing weight drives every entry below the floor.
        var update = new HessianUpdate(0f, 0.5f, -10f, 0.25f, 0f);
        foreach (bool reference in new[] { true, false })
        {
            var w = new float[40];
            var h = Enumerable.Repeat(1f, 40).ToArray();
            if (reference) ElementKernel.Reference(update, NoiseKind.Gaussian, 99, 3, 1f, w, h, []);
            else ElementKernel.Run(update, new NoiseSource(NoiseKind.Gaussian, KernelPaths.Fastest), 99, 3, 1f, w, h, []);
            Assert.That(h, Has.All.GreaterThanOrEqualTo(0.25f));
            Assert.That(h, Has.Some.EqualTo(0.25f));
        }
    }

    [Test]
    public void Low_rank_row_fast_kernel_equals_reference()
    {
        var rng = new Random(3);
        foreach (int rank in new[] { 1, 3, 8, 17 })
        {
            const int columns = 45;
            var vt = TestModels.Randn(rng, rank * columns, 1f);
            var a = TestModels.Randn(rng, rank, 0.3f);
            foreach (var (first, length) in new[] { (0, 45), (3, 42), (7, 5), (40, 5), (0, 8), (1, 16) })
            {
                var w = TestModels.Randn(rng, length, 1f);
                var expected = w.ToArray();
                LowRankKernels.AccumulateRowReference(expected, a, vt, columns, first, 0.999f);
                LowRankKernels.AccumulateRow(w, a, vt, columns, first, 0.999f);
                Assert.That(w, Is.EqualTo(expected), $"rank {rank}, columns [{first}, {first + length})");
            }
        }
    }

    [Test]
    public void Element_and_subspace_sweeps_do_not_allocate()
    {
        using var f = new MlpFixture(sweep: new SweepOptions { Threads = 1 });
        using var state = ElementStateBuffer.Create(f.Store, "h", 1f);
        var basis = SubspaceBasis.Create(f.Store.Manifest, rank: 4, reshapeNearSquare: false);
        basis.Regenerate(5);
        var subspace = new SubspaceSweep(f.Sweep, basis);
        var kernel = new ElementSweepKernel<HessianUpdate>(7, new HessianUpdate(1e-3f, 0.9f, 0.1f, 1e-4f, 1e-3f), state);
        Assert.That(Allocations.BestRound(() => f.Sweep.Run(kernel, 1)), Is.EqualTo(0));
        Assert.That(Allocations.BestRound(() => subspace.Apply([new SweepTerm(3, 1e-3)], 0.99, new SweepTerm(3, 1e-3))), Is.EqualTo(0));
    }

    private static void AssertKernelsAgree<TUpdate>(TUpdate update, bool positiveState)
        where TUpdate : struct, IElementUpdate
    {
        var rng = new Random(11);
        ulong key = SquaresRng.Key(12345, 2);
        foreach (var noise in new[] { NoiseKind.Gaussian, NoiseKind.Rademacher })
        {
            foreach (var path in NoiseTests.RunnablePaths)
            {
                foreach (var (start, length) in Ranges)
                {
                    foreach (float decay in new[] { 1f, 0.999f })
                    {
                        string where = $"{noise} on {path}, start {start}, length {length}";
                        var w = TestModels.Randn(rng, length, 0.5f);
                        var s0 = State(rng, length, positiveState);
                        var s1 = State(rng, length, positiveState: true);
                        var (w2, s02, s12) = (w.ToArray(), s0.ToArray(), s1.ToArray());
                        ElementKernel.Reference(update, noise, key, start, decay, w, s0, s1);
                        ElementKernel.Run(update, new NoiseSource(noise, path), key, start, decay, w2, s02, s12);
                        Assert.That(w2, Is.EqualTo(w), $"weights, {where}");
                        Assert.That(s02, Is.EqualTo(s0), $"state 0, {where}");
                        Assert.That(s12, Is.EqualTo(s1), $"state 1, {where}");
                        Assert.That(w.All(float.IsFinite), Is.True);
                    }
                }
            }
        }
    }

    private static float[] State(Random rng, int length, bool positiveState) =>
        positiveState ? [.. TestModels.Randn(rng, length, 1f).Select(x => 0.1f + x * x)] : TestModels.Randn(rng, length, 0.1f);
}
