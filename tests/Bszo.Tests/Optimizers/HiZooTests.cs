using Bszo.Onnx;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Optimizers;

public class HiZooTests
{
    [Test]
    public void H_learns_the_diagonal_Hessian_of_a_separable_quadratic()
    {
        // L(θ) = ½ Σᵢ Dᵢ (θᵢ − cᵢ)², built as an ONNX graph. With v = z/√H the second difference is
        // exact: L₊ + L₋ − 2L₀ = ε² Σⱼ Dⱼ zⱼ²/Hⱼ, and the update's fixed point in expectation is
        // Hᵢ = (1 + n/2)·Dᵢ (E[z⁴] = 3). H therefore learns D up to that known factor.
        double[] d = [0.5, 1, 2, 4, 8, 0.25, 32, 16];
        int n = d.Length;
        using var temp = new TempDirectory();
        var source = Quadratic(temp["src"], d);
        var prepared = TrainingModelBuilder.Prepare(source, temp["prepared"], new PrepareOptions { Loss = OutputLossHead.Create("q"), Trainable = ["theta"] });
        using var store = WeightStore.Load(prepared);
        using var session = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = 1 });
        var centre = Enumerable.Range(0, n).Select(i => (float)(0.1 * i)).ToArray();
        using var batch = new TensorBatch(1).Add("x", centre, 1, n);
        session.Bind(batch);

        var options = new HiZooOptions { LearningRate = 0, Epsilon = 0.1, HessianSmoothing = 0.05, Seed = 3 };
        using var hizoo = HiZooOptimizer.Create(new PerturbationSweep(store, new SweepOptions { Threads = 1 }), options);
        const int steps = 3000, averaged = 2600;
        var logMean = new double[n];
        for (int step = 0; step < steps; step++)
        {
            hizoo.Step(new DelegateLossEvaluator(session.Loss));
            if (step < steps - averaged) continue;
            var h = hizoo.Hessian.Tensor(0);
            for (int i = 0; i < n; i++) logMean[i] += Math.Log(h[i]) / averaged;
        }
        var ratio = logMean.Select((l, i) => Math.Exp(l) / d[i]).ToArray();
        double common = Math.Exp(ratio.Average(Math.Log));
        // Regress log H on log D: the slope is 1 when H ∝ D.
        var x = d.Select(v => Math.Log(v)).ToArray();
        double mx = x.Average(), my = logMean.Average();
        double slope = x.Zip(logMean, (a, b) => (a - mx) * (b - my)).Sum() / x.Sum(a => (a - mx) * (a - mx));
        TestContext.Out.WriteLine($"H/D = {string.Join(" ", ratio.Select(r => r.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}; " +
            $"slope of log H on log D {slope:F3}; scale {common:F2}, expected {1 + n / 2.0}");
        // Each time-averaged log Hᵢ scatters with a standard deviation of about c·√(Var/T) ≈ 0.15
        // (c = 1 + n/2, Var ≈ 2.3 the variance of one step's relative estimate, T = 2600), so the
        // slope over D spanning 0.25 … 32 has a standard deviation of about 0.04: ±0.15 is ~4σ.
        // The scale carries an O(α) bias from the log-average and α = 0.05; 25% covers it.
        Assert.That(slope, Is.EqualTo(1).Within(0.15));
        Assert.That(common, Is.EqualTo(1 + n / 2.0).Within(0.25 * (1 + n / 2.0)));
        // θ has not moved (η = 0): restore with the old H and step with the new one are consistent.
        for (int i = 0; i < n; i++) Assert.That(store.Master(0)[i], Is.EqualTo(0.1 * i + 0.3).Within(1e-4));
    }

    [Test]
    public void The_default_smoothing_scales_with_epsilon_squared()
    {
        Assert.That(new HiZooOptions().EffectiveSmoothing, Is.EqualTo(1e-8).Within(1e-20));
        Assert.That(new HiZooOptions { Epsilon = 1e-4 }.EffectiveSmoothing, Is.EqualTo(1e-10).Within(1e-22));
        Assert.That(new HiZooOptions { Epsilon = 1e-4, HessianSmoothing = 1e-6 }.EffectiveSmoothing, Is.EqualTo(1e-6));
        Assert.Throws<Bszo.Ort.BszoException>(() => new HiZooOptions { HessianFloor = 0 }.Validate());
    }

    /// <summary>q[b] = ½ Σᵢ Dᵢ (xᵦᵢ − θᵢ)² with θ starting 0.3 away from the centre fed as x.</summary>
    private static string Quadratic(string directory, double[] d)
    {
        int n = d.Length;
        var g = new GraphBuilder("quadratic");
        g.Input("x", OnnxDataType.Float, "batch", (long)n);
        g.Initializer("theta", Enumerable.Range(0, n).Select(i => (float)(0.1 * i + 0.3)).ToArray(), n);
        g.Initializer("half_d", d.Select(x => (float)(0.5 * x)).ToArray(), n);
        var diff = g.Node("Sub", ["x", "theta"], "diff");
        var square = g.Node("Mul", [diff, diff], "square");
        var weighted = g.Node("Mul", [square, "half_d"], "weighted");
        g.Node("ReduceSum", [weighted, g.Constant("axes", 1L)], "q", ("keepdims", 0));
        g.Output("q", OnnxDataType.Float, "batch");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "quadratic.onnx");
        OnnxModelFile.Save(g.Build(), path);
        return path;
    }
}
