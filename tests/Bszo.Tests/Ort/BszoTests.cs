using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Bszo.Tests.Optimizers;
using Bszo.Tests.Support;

namespace Bszo.Tests.Ort;

public class BszoTests
{
    /// <summary>Closed-form Bayesian linear regression: Σ = (σₚ⁻²I + DᵀR⁻¹D)⁻¹, μ = ΣDᵀR⁻¹Y.</summary>
    private static (double[] Mean, double[,] Covariance) ClosedForm(double[][] d, double[] y, double[] noise, double prior)
    {
        int k = d[0].Length;
        var precision = new double[k, k];
        var rhs = new double[k];
        for (int i = 0; i < k; i++) precision[i, i] = 1 / prior;
        for (int r = 0; r < d.Length; r++)
        {
            double dd = d[r].Sum(v => v * v);
            double w = 1 / (noise[r] * dd);
            for (int i = 0; i < k; i++)
            {
                rhs[i] += d[r][i] * w * y[r];
                for (int j = 0; j < k; j++) precision[i, j] += d[r][i] * w * d[r][j];
            }
        }
        var cov = Invert(precision);
        var mean = new double[k];
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) mean[i] += cov[i, j] * rhs[j];
        return (mean, cov);
    }

    private static double[,] Invert(double[,] a)
    {
        int n = a.GetLength(0);
        var m = (double[,])a.Clone();
        var inv = new double[n, n];
        for (int i = 0; i < n; i++) inv[i, i] = 1;
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[p, c])) p = r;
            for (int j = 0; j < n; j++) { (m[c, j], m[p, j]) = (m[p, j], m[c, j]); (inv[c, j], inv[p, j]) = (inv[p, j], inv[c, j]); }
            double pivot = m[c, c];
            for (int j = 0; j < n; j++) { m[c, j] /= pivot; inv[c, j] /= pivot; }
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = m[r, c];
                for (int j = 0; j < n; j++) { m[r, j] -= f * m[c, j]; inv[r, j] -= f * inv[c, j]; }
            }
        }
        return inv;
    }

    [TestCase(2, 3)]
    [TestCase(4, 9)]
    [TestCase(8, 12)]
    public void Kalman_updates_equal_the_closed_form_posterior(int k, int observations)
    {
        var rng = new Random(k * 100 + observations);
        for (int trial = 0; trial < 20; trial++)
        {
            double prior = Math.Exp(rng.NextDouble() * 6 - 3);
            var d = Enumerable.Range(0, observations).Select(_ => Enumerable.Range(0, k).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
            var y = Enumerable.Range(0, observations).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
            var noise = Enumerable.Range(0, observations).Select(_ => Math.Exp(rng.NextDouble() * 4 - 2)).ToArray();
            var posterior = new SubspacePosterior(k, jitter: 0);
            posterior.Reset(prior);
            for (int r = 0; r < observations; r++) posterior.Observe(d[r], y[r], noise[r]);
            var (mean, cov) = ClosedForm(d, y, noise, prior);
            for (int i = 0; i < k; i++)
            {
                Assert.That(posterior.Mean[i], Is.EqualTo(mean[i]).Within(1e-9 * (1 + Math.Abs(mean[i]))));
                for (int j = 0; j < k; j++) Assert.That(posterior.Covariance(i, j), Is.EqualTo(cov[i, j]).Within(1e-9 * (1 + Math.Abs(cov[i, j]))));
            }
        }
    }

    [Test]
    public void Axis_samples_with_fixed_noise_shrink_by_gamma()
    {
        // m = k coordinate samples, fixed σₑ: Σ = γI and μ = γY with γ = σₚ²/(σₚ² + σₑ²) (paper §3).
        const double prior = 3.0, noise = 1.5;
        var posterior = new SubspacePosterior(3, jitter: 0);
        posterior.Reset(prior);
        double[] y = [0.7, -2.0, 5.0];
        for (int i = 0; i < 3; i++)
        {
            var e = new double[3];
            e[i] = 1;
            posterior.Observe(e, y[i], noise);
        }
        double gamma = prior / (prior + noise);
        for (int i = 0; i < 3; i++)
        {
            Assert.That(posterior.Mean[i], Is.EqualTo(gamma * y[i]).Within(1e-12));
            Assert.That(posterior.Covariance(i, i), Is.EqualTo(gamma * noise).Within(1e-12)); // σₚ²σₑ²/(σₚ²+σₑ²) = γσₑ²
        }
    }

    [Test]
    public void Principal_direction_is_the_top_eigenvector()
    {
        var rng = new Random(1);
        foreach (int k in new[] { 2, 3, 5 })
        {
            var posterior = new SubspacePosterior(k, jitter: 0);
            posterior.Reset(2.0);
            for (int r = 0; r < k + 2; r++)
            {
                var d = Enumerable.Range(0, k).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
                posterior.Observe(d, rng.NextDouble(), 0.5);
            }
            var v = new double[k];
            posterior.PrincipalDirection(v);
            // Σv = λv with λ the largest Rayleigh quotient over many random unit vectors.
            var sv = new double[k];
            for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) sv[i] += posterior.Covariance(i, j) * v[j];
            double lambda = v.Zip(sv, (a, b) => a * b).Sum();
            for (int i = 0; i < k; i++) Assert.That(sv[i], Is.EqualTo(lambda * v[i]).Within(1e-9));
            for (int trial = 0; trial < 200; trial++)
            {
                var u = Enumerable.Range(0, k).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
                double norm = Math.Sqrt(u.Sum(x => x * x));
                double q = 0;
                for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) q += u[i] * posterior.Covariance(i, j) * u[j] / (norm * norm);
                Assert.That(q, Is.LessThanOrEqualTo(lambda + 1e-12));
            }
        }
    }

    [TestCase(NoiseUpdateRule.AdaptiveSamples)]
    [TestCase(NoiseUpdateRule.EverySample)]
    public void Posterior_mean_of_a_cached_step_matches_an_independent_rederivation(NoiseUpdateRule rule)
    {
        // From the recorded losses alone: y = (L − f₀)/ε, the noise variance at each observation, and
        // the closed-form posterior with observations (e₁, y₁), (e₂, y₂), (eⱼ, yⱼ), j the axis with the
        // larger posterior variance after the axis samples.
        using var f = new MlpFixture(seed: 4);
        using var batch = MlpFixture.Blobs(32, seed: 1);
        f.Session.Bind(batch);
        var options = new BszoOptions { LearningRate = 1e-3, Epsilon = 1e-3, Seed = 3, NoiseUpdate = rule, PriorStd = 0.5, InitialNoiseStd = 0.5 };
        var bszo = BszoOptimizer.Create(f.Sweep, options);
        var loss = new DelegateLossEvaluator(f.Session.Loss);
        for (int step = 0; step < 5; step++)
        {
            double meanBefore = bszo.ResidualSquareMean;
            var record = bszo.Step(loss);
            double f0 = record.Losses[0];
            double[] y = [(record.Losses[1] - f0) / options.Epsilon, (record.Losses[2] - f0) / options.Epsilon];
            double prior = 0.25, alpha = 0.1;
            // The official code's rule: the running mean r̄² moves, σₑ² = max(floor², r̄²) is what the posterior uses.
            double Ema(double v, double r) => (1 - alpha) * v + alpha * r * r;
            double Sigma(double v) => Math.Max(0.05 * 0.05, v);

            var noise = new List<double>();
            double mean2 = meanBefore;
            // Axis 1: prior mean 0. Axis 2: independent of axis 1 (diagonal prior), mean 0 too.
            if (rule == NoiseUpdateRule.EverySample) mean2 = Ema(mean2, y[0]);
            noise.Add(Sigma(mean2));
            if (rule == NoiseUpdateRule.EverySample) mean2 = Ema(mean2, y[1]);
            noise.Add(Sigma(mean2));
            // Posterior variances after the axis samples: σₚ²σᵢ²/(σₚ² + σᵢ²); the cached sample re-uses the more uncertain one.
            double v0 = prior * noise[0] / (prior + noise[0]), v1 = prior * noise[1] / (prior + noise[1]);
            int j = v1 > v0 ? 1 : 0;
            double meanJ = prior / (prior + noise[j]) * y[j];
            mean2 = Ema(mean2, y[j] - meanJ);
            noise.Add(Sigma(mean2));
            var e = new[] { new double[] { 1, 0 }, new double[] { 0, 1 } };
            var (mean, _) = ClosedForm([e[0], e[1], e[j]], [y[0], y[1], y[j]], [.. noise], prior);
            Assert.That(record.Scalars["mu0"], Is.EqualTo(mean[0]).Within(1e-6 * (1 + Math.Abs(mean[0]))), $"step {step}");
            Assert.That(record.Scalars["mu1"], Is.EqualTo(mean[1]).Within(1e-6 * (1 + Math.Abs(mean[1]))), $"step {step}");
            Assert.That(bszo.ResidualSquareMean, Is.EqualTo(mean2).Within(1e-9 * (1 + mean2))); // the 1e-10 Σ jitter shifts μ slightly
            Assert.That(bszo.NoiseVariance, Is.EqualTo(Sigma(mean2)).Within(1e-9 * (1 + mean2)));
        }
    }

    /// <summary>Scripted losses of one cached step: f₀ = 1 and L(θ + εzᵢ) = 1 + ε·yᵢ.</summary>
    private static ScriptedLosses Observations(double epsilon, params double[] y) => new([1.0, .. y.Select(v => 1.0 + epsilon * v)]);

    private static double[] Observed(StepRecord record, double epsilon) => [.. record.Losses.Skip(1).Select(l => (l - record.Losses[0]) / epsilon)];

    [Test]
    public void The_extra_sample_goes_to_the_axis_observed_while_the_noise_estimate_was_larger()
    {
        // Defaults but σₚ = σₑ⁰ = 1. A large y₂ raises σₑ² before e₂ is observed (eq. 13), so axis 2
        // keeps more posterior variance than axis 1 and receives the cached extra sample. Under the
        // Algorithm 1 listing's rule both axes see σₑ⁰, and the extra sample goes to axis 1.
        using var f = new MlpFixture(sweep: new SweepOptions { Threads = 1 });
        const double eps = 1e-4;
        var bszo = BszoOptimizer.Create(f.Sweep, new BszoOptions { LearningRate = 1e-3, Epsilon = eps, PriorStd = 1, Seed = 2 });
        var record = bszo.Step(Observations(eps, 0.1, 50));
        var y = Observed(record, eps);
        double mean2 = 0.9 * 1 + 0.1 * y[0] * y[0]; // before observing e₁, residual y₁ − 0
        double gamma1 = 1 / (1 + mean2);             // σₚ² / (σₚ² + σₑ²): one observation of axis 1
        Assert.That(record.Scalars["mu0"], Is.EqualTo(gamma1 * y[0]).Within(1e-9), "axis 1 was observed once: the extra sample went elsewhere");
        mean2 = 0.9 * mean2 + 0.1 * y[1] * y[1];
        double gamma2 = 1 / (1 + mean2);
        Assert.That(record.Scalars["mu1"], Is.Not.EqualTo(gamma2 * y[1]).Within(1e-6), "axis 2 was observed twice");
    }

    [Test]
    public void A_burst_of_large_projected_gradients_is_damped_from_its_first_step()
    {
        // σₚ = 10 puts |y| ≈ 1 in the paper's regime (σₚ² ≫ y², μ ≈ y). A burst of |y| ≈ 300, as
        // low-precision noise produces (paper §3.4), raises σₑ² at its first sample, so every μᵢ/yᵢ
        // of the burst's first step is small; once the burst ends the gain returns.
        using var f = new MlpFixture(sweep: new SweepOptions { Threads = 1 });
        const double eps = 1e-3;
        var bszo = BszoOptimizer.Create(f.Sweep, new BszoOptions { LearningRate = 1e-4, Epsilon = eps, PriorStd = 10, InitialNoiseStd = 1, Seed = 3 });
        var rng = new Random(5);
        double Gain(double scale)
        {
            var record = bszo.Step(Observations(eps, scale * (1 + rng.NextDouble()), -scale * (1 + rng.NextDouble())));
            var y = Observed(record, eps);
            return Math.Max(record.Scalars["mu0"] / y[0], record.Scalars["mu1"] / y[1]);
        }
        double before = 0;
        for (int step = 0; step < 20; step++) before = Gain(1);
        double first = Gain(300);
        double later = 0;
        for (int step = 0; step < 4; step++) later = Gain(300);
        double after = 0;
        for (int step = 0; step < 60; step++) after = Gain(1);
        TestContext.Out.WriteLine($"μ/y: {before:F4} before the burst, {first:F4} in its first step, {later:F4} in its fifth, {after:F4} 60 steps after");
        Assert.That(before, Is.GreaterThan(0.9));
        Assert.That(first, Is.LessThan(0.05));
        Assert.That(later, Is.LessThan(0.05));
        Assert.That(after, Is.GreaterThan(0.9));
    }

    [Test]
    public void The_noise_floor_bounds_sigma_e_but_not_the_running_mean_behind_it()
    {
        // After a quiet stretch the running mean falls far below the floor. A single residual of three
        // times the floor then leaves σₑ at the floor: the quiet stretch is remembered. Flooring the
        // running mean itself would have lifted σₑ² to about 1.5 floor² here.
        using var f = new MlpFixture(sweep: new SweepOptions { Threads = 1 });
        const double eps = 1e-3, initial = 0.5, floor = 0.05; // the default floor fraction 0.1
        var bszo = BszoOptimizer.Create(f.Sweep, new BszoOptions { LearningRate = 1e-4, Epsilon = eps, PriorStd = initial, Seed = 4 });
        for (int step = 0; step < 30; step++) bszo.Step(Observations(eps, 0, 0));
        double quiet = bszo.ResidualSquareMean;
        Assert.That(quiet, Is.EqualTo(initial * initial * Math.Pow(0.9, 90)).Within(1e-12));
        Assert.That(bszo.NoiseVariance, Is.EqualTo(floor * floor).Within(1e-15));

        var record = bszo.Step(Observations(eps, 3 * floor, 0));
        double y1 = Observed(record, eps)[0];
        double mean2 = 0.9 * (0.9 * quiet + 0.1 * y1 * y1);            // axis samples: residuals y₁ − 0 and 0 − 0
        double gamma = initial * initial / (initial * initial + floor * floor);
        double jittered = record.Scalars["mu0"] / y1;                   // axis 1 (the jitter breaks the tie) re-used
        Assert.That(jittered, Is.GreaterThan(gamma), "axis 1 received the cached sample");
        double residual = y1 - gamma * y1;
        mean2 = 0.9 * mean2 + 0.1 * residual * residual;
        Assert.That(bszo.ResidualSquareMean, Is.EqualTo(mean2).Within(1e-12));
        Assert.That(bszo.NoiseVariance, Is.EqualTo(floor * floor).Within(1e-15));
    }

    [Test]
    public void Bszo_b_measures_its_extra_sample_along_the_principal_direction()
    {
        // k = 2, m = 3. y₂ ≫ y₁, so Σ₂₂ > Σ₁₁ after the axis samples and Σ stays diagonal: the
        // principal direction is e₂. The fourth forward pass must run at θ + ε·z₂, and μ is the posterior
        // of (e₁, y₁), (e₂, y₂), (e₂, y₃) with σₑ² updated before each observation.
        using var f = new MlpFixture(sweep: new SweepOptions { Threads = 1 });
        const double eps = 1e-3;
        var bszo = BszoOptimizer.Create(f.Sweep, new BszoOptions { Variant = BszoVariant.Basic, LearningRate = 1e-3, Epsilon = eps, PriorStd = 1, Seed = 6 });
        var theta = f.Store.Snapshot();
        var script = Observations(eps, 0.2, 40, 35);
        float[]? atExtraPass = null;
        int passes = 0;
        var record = bszo.Step(new DelegateLossEvaluator(() =>
        {
            if (passes++ == 3) atExtraPass = f.Store.Snapshot();
            return script.Evaluate();
        }));
        Assert.That(passes, Is.EqualTo(4));
        long at = 0;
        foreach (var t in f.Store.Tensors)
        {
            ulong key = SquaresRng.Key(record.Seeds[1], t.Entry.Id);
            for (int i = 0; i < t.Count; i++, at++) Assert.That(atExtraPass![at], Is.EqualTo(theta[at] + eps * GaussianNoise.Value(key, i)).Within(1e-6), $"element {at}");
        }

        var y = Observed(record, eps);
        var noise = new double[3]; // σₑ² at each observation; residuals y₁ − 0, y₂ − 0, y₃ − μ₂
        double mean2 = 0.9 * 1 + 0.1 * y[0] * y[0];
        noise[0] = mean2;
        mean2 = 0.9 * mean2 + 0.1 * y[1] * y[1];
        noise[1] = mean2;
        double mu2 = 1 / (1 + noise[1]) * y[1];
        mean2 = 0.9 * mean2 + 0.1 * (y[2] - mu2) * (y[2] - mu2);
        noise[2] = mean2;
        var (mean, _) = ClosedForm([[1, 0], [0, 1], [0, 1]], y, noise, 1);
        Assert.That(record.Scalars["mu0"], Is.EqualTo(mean[0]).Within(1e-8));
        Assert.That(record.Scalars["mu1"], Is.EqualTo(mean[1]).Within(1e-8));
    }

    [Test]
    public void A_step_moves_the_weights_by_minus_lr_times_the_posterior_mean_directions()
    {
        using var f = new MlpFixture(seed: 5);
        using var batch = MlpFixture.Blobs(16, seed: 2);
        f.Session.Bind(batch);
        var before = f.Store.Snapshot();
        var bszo = BszoOptimizer.Create(f.Sweep, new BszoOptions { LearningRate = 1e-2, Epsilon = 1e-3, Seed = 8, PriorStd = 1 });
        var record = bszo.Step(new DelegateLossEvaluator(f.Session.Loss));
        var after = f.Store.Snapshot();
        long at = 0;
        foreach (var t in f.Store.Tensors)
        {
            ulong k0 = SquaresRng.Key(record.Seeds[0], t.Entry.Id), k1 = SquaresRng.Key(record.Seeds[1], t.Entry.Id);
            for (int i = 0; i < t.Count; i++, at++)
            {
                double expected = before[at] - 1e-2 * (record.Scalars["mu0"] * GaussianNoise.Value(k0, i) + record.Scalars["mu1"] * GaussianNoise.Value(k1, i));
                Assert.That(after[at], Is.EqualTo(expected).Within(1e-6));
            }
        }
    }

    [TestCase(BszoVariant.Cached, NoiseUpdateRule.AdaptiveSamples, 2, 3)]
    [TestCase(BszoVariant.Cached, NoiseUpdateRule.EverySample, 3, 5)]
    [TestCase(BszoVariant.Basic, NoiseUpdateRule.AdaptiveSamples, 2, 3)]
    [TestCase(BszoVariant.Basic, NoiseUpdateRule.EverySample, 3, 5)]
    public void Bszo_lowers_the_loss_and_replays_and_resumes_bit_exactly(BszoVariant variant, NoiseUpdateRule rule, int k, int m)
    {
        var options = new BszoOptions
        {
            Variant = variant, NoiseUpdate = rule, SubspaceDimension = k, Samples = m,
            LearningRate = 2e-2, Epsilon = 1e-3, Seed = 21, WeightDecay = 0.01,
            // The automatic prior σₚ² = n/10⁶ is sized for 10⁸–10¹⁰ parameters; this model has 195.
            PriorStd = 1,
        };
        using var f = new MlpFixture(seed: 6);
        f.Sweep.SetDecayable(name => name.StartsWith('w'));
        using var eval = MlpFixture.Blobs(256, seed: 999);
        f.Session.Bind(eval);
        double initial = f.Session.Loss();

        var bszo = BszoOptimizer.Create(f.Sweep, options);
        Assert.That(bszo.ForwardPassesPerStep, Is.EqualTo(variant == BszoVariant.Cached ? k + 1 : m + 1));
        var records = new List<StepRecord>();
        string? midWeights = null;
        WeightManifest? midManifest = null;
        System.Text.Json.Nodes.JsonObject? midState = null;
        const int steps = 300, checkpoint = 120;
        for (int step = 0; step < steps; step++)
        {
            if (step == checkpoint)
            {
                midManifest = f.Store.Save(f.Temp["mid.bin"]);
                midWeights = f.Store.Checksum();
                midState = bszo.SaveState();
            }
            using var batch = MlpFixture.Blobs(32, seed: step);
            f.Session.Bind(batch);
            long before = f.Session.ForwardPasses;
            records.Add(bszo.Step(new DelegateLossEvaluator(f.Session.Loss)));
            Assert.That(f.Session.ForwardPasses - before, Is.EqualTo(bszo.ForwardPassesPerStep));
        }
        f.Session.Bind(eval);
        double final = f.Session.Loss();
        TestContext.Out.WriteLine($"{bszo.Name} k={k} m={m} {rule}: eval loss {initial:F4} -> {final:F4}, σe {bszo.NoiseVariance:E2}");
        Assert.That(final, Is.LessThan(0.8 * initial));
        string trained = f.Store.Checksum();

        // Replay from the base weights.
        using (var store = WeightStore.Load(f.Prepared))
        {
            var sweep = new PerturbationSweep(store, new SweepOptions { Threads = 1 });
            sweep.SetDecayable(name => name.StartsWith('w'));
            var replay = BszoOptimizer.Create(sweep, options);
            foreach (var r in records) replay.Replay(r);
            Assert.That(store.Checksum(), Is.EqualTo(trained), "replay");
        }

        // Resume from the mid-run checkpoint, then continue training live on the same batches.
        using (var store = WeightStore.Load(midManifest!, f.Temp["mid.bin"]))
        {
            Assert.That(store.Checksum(), Is.EqualTo(midWeights));
            using var session = TrainingGraphSession.Create(f.Prepared, store, new SessionSettings { IntraOpThreads = 1 });
            var sweep = new PerturbationSweep(store);
            sweep.SetDecayable(name => name.StartsWith('w'));
            var resumed = BszoOptimizer.Create(sweep, options);
            resumed.LoadState(midState!);
            for (int step = checkpoint; step < steps; step++)
            {
                using var batch = MlpFixture.Blobs(32, seed: step);
                session.Bind(batch);
                var r = resumed.Step(new DelegateLossEvaluator(session.Loss));
                Assert.That(r.Losses, Is.EqualTo(records[step].Losses), $"step {step}");
            }
            Assert.That(store.Checksum(), Is.EqualTo(trained), "resume");
        }
    }
}
