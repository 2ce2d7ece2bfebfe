using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Ort;

public class MezoTests
{
    [Test]
    public void Mean_of_g_times_z_over_many_seeds_matches_the_analytic_gradient()
    {
        // L(w, c) = mean_b (x_b·w + c − t_b)²; two-sided SPSA is exact for quadratics, so
        // ĝ = (zᵀ∇L)z with E[ĝ] = ∇L and Var[ĝ_i] = |∇L|² + ∇L_i².
        using var temp = new TempDirectory();
        const int dims = 6, examples = 32;
        var rng = new Random(5);
        var w = TestModels.Randn(rng, dims, 0.5f);
        var source = TestModels.LinearRegression(temp["src"], w, 0.3f);
        var prepared = TrainingModelBuilder.Prepare(source, temp["out"], new PrepareOptions { Loss = OutputLossHead.Create("sq_err"), Trainable = ["w", "c"] });
        using var store = WeightStore.Load(prepared);
        using var session = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = 1 });
        var x = TestModels.Randn(rng, examples * dims, 1f);
        var t = TestModels.Randn(rng, examples, 1f);
        using var batch = new TensorBatch(examples).Add("x", x, examples, dims).Add("t", t, examples);
        session.Bind(batch);

        // Analytic gradient in double.
        int wId = store.IdOf("w"), cId = store.IdOf("c");
        var grad = new double[dims + 1];
        for (int b = 0; b < examples; b++)
        {
            double y = 0.3;
            for (int i = 0; i < dims; i++) y += (double)x[b * dims + i] * w[i];
            double r = 2 * (y - t[b]) / examples;
            for (int i = 0; i < dims; i++) grad[i] += r * x[b * dims + i];
            grad[dims] += r;
        }

        var sweep = new PerturbationSweep(store, new SweepOptions { Threads = 1 });
        var mezo = MezoOptimizer.Create(sweep, new MezoOptions { LearningRate = 0, Epsilon = 1e-3, Seed = 9 });
        var loss = new DelegateLossEvaluator(session.Loss);
        const int n = 4000;
        var mean = new double[dims + 1];
        for (int s = 0; s < n; s++)
        {
            var record = mezo.Step(loss);
            double g = record.Scalars["g"];
            ulong seed = record.Seeds[0];
            for (int i = 0; i < dims; i++) mean[i] += g * GaussianNoise.Value(SquaresRng.Key(seed, wId), i) / n;
            mean[dims] += g * GaussianNoise.Value(SquaresRng.Key(seed, cId), 0) / n;
        }
        double norm2 = grad.Sum(v => v * v);
        for (int i = 0; i <= dims; i++)
        {
            double sd = Math.Sqrt((norm2 + grad[i] * grad[i]) / n);
            Assert.That(mean[i], Is.EqualTo(grad[i]).Within(5 * sd), $"component {i}");
        }
        TestContext.Out.WriteLine($"|E[gz] − ∇L| / |∇L| = {Math.Sqrt(mean.Zip(grad, (a, b) => (a - b) * (a - b)).Sum() / norm2):F3} over {n} seeds");
    }

    [Test]
    public void Mezo_lowers_the_loss_of_a_small_classifier()
    {
        using var f = new MlpFixture(seed: 2);
        using var eval = MlpFixture.Blobs(256, seed: 1000);
        f.Session.Bind(eval);
        double initial = f.Session.Loss();

        var mezo = MezoOptimizer.Create(f.Sweep, new MezoOptions { LearningRate = 2e-3, Epsilon = 1e-3, Seed = 1 });
        for (int step = 0; step < 600; step++)
        {
            using var batch = MlpFixture.Blobs(32, seed: step);
            f.Session.Bind(batch);
            mezo.Step(new DelegateLossEvaluator(f.Session.Loss));
        }
        f.Session.Bind(eval);
        double final = f.Session.Loss();
        TestContext.Out.WriteLine($"eval loss {initial:F4} -> {final:F4}");
        Assert.That(final, Is.LessThan(0.7 * initial));
    }

    [TestCase(false, 1)]
    [TestCase(false, 3)]
    [TestCase(true, 2)]
    public void Replaying_the_trajectory_log_reproduces_the_trained_weights_exactly(bool oneSided, int directions)
    {
        using var f = new MlpFixture(seed: 3);
        var options = new MezoOptions { LearningRate = 1e-3, Epsilon = 1e-3, Seed = 42, WeightDecay = 0.01, OneSided = oneSided, Directions = directions };
        f.Sweep.SetDecayable(name => name.StartsWith('w'));
        var mezo = MezoOptimizer.Create(f.Sweep, options);
        var logPath = f.Temp["trajectory.jsonl"];
        using (var log = TrajectoryLog.Create(logPath, new TrajectoryHeader { Optimizer = mezo.Name, Options = OptimizerOptionsJson.Describe(options), BaseWeightsSha256 = f.Prepared.Manifest.BaseWeightsSha256 }))
        {
            for (int step = 0; step < 40; step++)
            {
                using var batch = MlpFixture.Blobs(16, seed: step);
                f.Session.Bind(batch);
                log.Write(mezo.Step(new DelegateLossEvaluator(f.Session.Loss)));
            }
        }
        string trained = f.Store.Checksum();

        using var replayStore = WeightStore.Load(f.Prepared);
        Assert.That(replayStore.Checksum(), Is.Not.EqualTo(trained));
        var replaySweep = new PerturbationSweep(replayStore, new SweepOptions { Threads = 1 });
        replaySweep.SetDecayable(name => name.StartsWith('w'));
        var replay = MezoOptimizer.Create(replaySweep, options);
        var (header, records) = TrajectoryLog.Read(logPath);
        Assert.That(header.Optimizer, Is.EqualTo(mezo.Name));
        Assert.That(records, Has.Count.EqualTo(40));
        foreach (var r in records) replay.Replay(r);
        Assert.That(replayStore.Checksum(), Is.EqualTo(trained));
    }

    [TestCase(1)]
    [TestCase(2)]
    public void Weight_decay_applies_to_decayable_tensors_only_and_the_restore_is_exact(int directions)
    {
        using var f = new MlpFixture(seed: 7);
        using var batch = MlpFixture.Blobs(16, seed: 3);
        f.Session.Bind(batch);
        f.Sweep.SetDecayable(name => name.StartsWith('w'));
        const double lr = 0.05, wd = 0.5, eps = 1e-2; // large, so a misplaced η·λ·ε·z would be visible
        var before = f.Store.Tensors.Select(t => f.Store.Master(t.Entry.Id).ToArray()).ToArray();
        var mezo = MezoOptimizer.Create(f.Sweep, new MezoOptions { LearningRate = lr, Epsilon = eps, WeightDecay = wd, Seed = 4, Directions = directions });
        var record = mezo.Step(new DelegateLossEvaluator(f.Session.Loss));
        foreach (var t in f.Store.Tensors)
        {
            double d = t.Entry.Name.StartsWith('w') ? 1 - lr * wd : 1;
            var after = f.Store.Master(t.Entry.Id);
            for (int i = 0; i < after.Length; i++)
            {
                double expected = d * before[t.Entry.Id][i];
                for (int j = 0; j < directions; j++)
                {
                    double g = record.Scalars[directions == 1 ? "g" : $"g{j}"];
                    expected -= lr * g / directions * GaussianNoise.Value(SquaresRng.Key(record.Seeds[j], t.Entry.Id), i);
                }
                Assert.That(after[i], Is.EqualTo(expected).Within(2e-6), $"{t.Entry.Name}[{i}]");
            }
        }
    }

    [Test]
    public void Replay_refuses_a_log_written_with_another_seed()
    {
        using var f = new MlpFixture();
        using var batch = MlpFixture.Blobs(8, 0);
        f.Session.Bind(batch);
        var record = MezoOptimizer.Create(f.Sweep, new MezoOptions { Seed = 1 }).Step(new DelegateLossEvaluator(f.Session.Loss));
        var other = MezoOptimizer.Create(new PerturbationSweep(f.Store), new MezoOptions { Seed = 2 });
        var e = Assert.Throws<Bszo.Ort.BszoException>(() => other.Replay(record));
        Assert.That(e!.Message, Does.Contain("another run seed"));
    }

    [Test]
    public void A_truncated_last_line_of_the_log_is_ignored()
    {
        using var temp = new TempDirectory();
        var path = temp["t.jsonl"];
        using (var log = TrajectoryLog.Create(path, new TrajectoryHeader { Optimizer = "mezo" }))
        {
            log.Write(new StepRecord { Step = 0, Seeds = [1], Losses = [0.5, 0.4] });
            log.Write(new StepRecord { Step = 1, Seeds = [2], Losses = [0.3, 0.2] });
        }
        File.AppendAllText(path, "{\"step\":2,\"seeds\":[3],\"los");
        var (_, records) = TrajectoryLog.Read(path);
        Assert.That(records.Select(r => r.Step), Is.EqualTo(new long[] { 0, 1 }));
        Assert.That(records[1].Losses, Is.EqualTo(new[] { 0.3, 0.2 }));
    }
}
