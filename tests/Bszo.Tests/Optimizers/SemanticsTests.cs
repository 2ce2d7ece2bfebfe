using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Tests.Ort;

namespace Bszo.Tests.Optimizers;

/// <summary>
/// Each method's update against a plain double-precision re-derivation of its published rule, on
/// scripted losses (so the projected gradients are known exactly).
/// </summary>
public class SemanticsTests
{
    private const double Tolerance = 2e-6;

    [TestCase(0.5, 0.9, -1)]   // L(θ−ηĝ) lowest: keep it
    [TestCase(1.5, 1.2, 0)]    // both candidates worse than θ: go back
    [TestCase(1.5, 0.8, 1)]    // L(θ+ηĝ) lowest
    [TestCase(1.0, 1.0, 1)]    // ZO-Bench's tie rule: L(θ−ηĝ) ≤ L(θ) but not < L(θ+ηĝ) keeps θ+ηĝ
    public void Conservative_step_keeps_the_candidate_ZO_Bench_keeps(double descended, double ascended, int kept)
    {
        using var f = new MlpFixture(sweep: new SweepOptions { Threads = 1 });
        var before = Weights(f);
        var optimizer = ZoConservativeOptimizer.Create(f.Sweep, new ZoConservativeOptions { LearningRate = 0.01, Epsilon = 1e-3, Seed = 1 });
        var record = optimizer.Step(new ScriptedLosses(1.0, 1.0002, 0.9998, descended, ascended));
        Assert.That(record.Scalars["kept"], Is.EqualTo(kept));
        double g = record.Scalars["g"];
        Assert.That(g, Is.EqualTo(0.2).Within(1e-9));
        AssertWeights(f, before, (t, i) => kept * 0.01 * g * Z(record.Seeds[0], t, i));
    }

    [Test]
    public void Sign_step_ignores_the_size_of_the_projected_gradient()
    {
        string Run(double plus, double minus)
        {
            using var f = new MlpFixture(sweep: new SweepOptions { Threads = 1 });
            ZoSignSgdOptimizer.Create(f.Sweep, new ZoSignSgdOptions { LearningRate = 0.01, Seed = 1 }).Step(new ScriptedLosses(plus, minus));
            return f.Store.Checksum();
        }
        Assert.That(Run(1.0002, 0.9998), Is.EqualTo(Run(2.0, 0.5)));
        Assert.That(Run(0.9998, 1.0002), Is.Not.EqualTo(Run(1.0002, 0.9998)));

        using var f = new MlpFixture(sweep: new SweepOptions { Threads = 1 });
        var before = Weights(f);
        var record = ZoSignSgdOptimizer.Create(f.Sweep, new ZoSignSgdOptions { LearningRate = 0.01, Seed = 1 }).Step(new ScriptedLosses(0.5, 2.0));
        AssertWeights(f, before, (t, i) => +0.01 * Z(record.Seeds[0], t, i)); // g < 0: step along +z
    }

    [Test]
    public void Momentum_accumulates_like_SGD_with_momentum()
    {
        using var f = new MlpFixture(sweep: new SweepOptions { Threads = 1 });
        var theta = Weights(f);
        using var optimizer = ZoMomentumOptimizer.Create(f.Sweep, new ZoMomentumOptions { LearningRate = 0.01, Momentum = 0.9, Seed = 1 });
        var m = theta.Select(t => new double[t.Length]).ToArray();
        foreach (var (plus, minus) in new[] { (1.0002, 0.9998), (0.9995, 1.0001), (1.0, 0.9999) })
        {
            var record = optimizer.Step(new ScriptedLosses(plus, minus));
            double g = record.Scalars["g"];
            ForEach(theta, (t, i) =>
            {
                m[t][i] = 0.9 * m[t][i] + g * Z(record.Seeds[0], t, i);
                theta[t][i] -= 0.01 * m[t][i];
            });
        }
        AssertWeights(f, theta, (_, _) => 0);
        ForEach(theta, (t, i) => Assert.That(optimizer.Momentum.Tensor(t)[i], Is.EqualTo(m[t][i]).Within(Tolerance)));
    }

    [Test]
    public void Adam_matches_bias_corrected_Adam_on_the_estimate()
    {
        using var f = new MlpFixture(sweep: new SweepOptions { Threads = 1 });
        var theta = Weights(f);
        const double lr = 1e-3, b1 = 0.9, b2 = 0.999, delta = 1e-8;
        using var optimizer = ZoAdamOptimizer.Create(f.Sweep, new ZoAdamOptions { LearningRate = lr, Seed = 1 });
        var m = theta.Select(t => new double[t.Length]).ToArray();
        var v = theta.Select(t => new double[t.Length]).ToArray();
        int step = 0;
        foreach (var (plus, minus) in new[] { (1.0002, 0.9998), (0.9995, 1.0001), (1.0, 0.9999) })
        {
            var record = optimizer.Step(new ScriptedLosses(plus, minus));
            double g = record.Scalars["g"];
            step++;
            ForEach(theta, (t, i) =>
            {
                double gz = g * Z(record.Seeds[0], t, i);
                m[t][i] = b1 * m[t][i] + (1 - b1) * gz;
                v[t][i] = b2 * v[t][i] + (1 - b2) * gz * gz;
                double mHat = m[t][i] / (1 - Math.Pow(b1, step));
                double vHat = v[t][i] / (1 - Math.Pow(b2, step));
                theta[t][i] -= lr * mHat / (Math.Sqrt(vHat) + delta);
            });
        }
        AssertWeights(f, theta, (_, _) => 0);
    }

    [Test]
    public void HiZoo_updates_H_from_the_second_difference_and_steps_with_the_new_H()
    {
        using var f = new MlpFixture(sweep: new SweepOptions { Threads = 1 });
        var before = Weights(f);
        const double eps = 1e-2, alpha = 0.05, lr = 0.01;
        using var optimizer = HiZooOptimizer.Create(f.Sweep, new HiZooOptions { LearningRate = lr, Epsilon = eps, HessianSmoothing = alpha, Seed = 1 });
        var record = optimizer.Step(new ScriptedLosses(1.0, 1.0003, 0.9999));
        double g = (1.0003 - 0.9999) / (2 * eps);
        double curvature = Math.Abs(1.0003 + 0.9999 - 2.0) / (2 * eps * eps);
        Assert.That(record.Scalars["curvature"], Is.EqualTo(curvature).Within(1e-9));
        ForEach(before, (t, i) =>
        {
            double z = Z(record.Seeds[0], t, i);
            double h = Math.Max((1 - alpha) + alpha * curvature * z * z, 1e-4);
            Assert.That(optimizer.Hessian.Tensor(t)[i], Is.EqualTo(h).Within(1e-6 * h), $"H of tensor {t}, element {i}");
        });
        AssertWeights(f, before, (t, i) =>
        {
            double z = Z(record.Seeds[0], t, i);
            double h = Math.Max((1 - alpha) + alpha * curvature * z * z, 1e-4);
            return -lr * g * z / Math.Sqrt(h);
        });
    }

    private static double Z(ulong seed, int tensor, int index) => GaussianNoise.Value(SquaresRng.Key(seed, tensor), index);

    private static double[][] Weights(MlpFixture f) =>
        [.. f.Store.Tensors.Select(t => f.Store.Master(t.Entry.Id).ToArray().Select(x => (double)x).ToArray())];

    private static void ForEach(double[][] tensors, Action<int, int> action)
    {
        for (int t = 0; t < tensors.Length; t++) for (int i = 0; i < tensors[t].Length; i++) action(t, i);
    }

    /// <summary>Weights must equal <paramref name="expected"/> + <paramref name="delta"/>(tensor, element).</summary>
    private static void AssertWeights(MlpFixture f, double[][] expected, Func<int, int, double> delta) =>
        ForEach(expected, (t, i) => Assert.That(f.Store.Master(t)[i], Is.EqualTo(expected[t][i] + delta(t, i)).Within(Tolerance), $"tensor {t}, element {i}"));
}
