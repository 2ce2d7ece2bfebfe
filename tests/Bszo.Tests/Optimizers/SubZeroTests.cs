using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Optimizers;

public class SubZeroTests
{
    [Test]
    public void Directions_of_a_matrix_have_rank_r_and_expected_squared_norm_mn()
    {
        // w1 is 64 × 48; rank 8. ‖D‖²_F = (mn/r²)·‖Z‖²_F with ‖Z‖²_F ~ χ²(r²), so ‖D‖²/mn has mean 1
        // and standard deviation √2/r per direction; over N directions the mean is within 4·√2/(r√N)
        // (= 5% for r = 8, N = 200) with probability 1 − 6e-5.
        using var m = new Model(inputs: 64, hidden: 48);
        const int rank = 8, rows = 64, columns = 48, directions = 200;
        var basis = SubspaceBasis.Create(m.Store.Manifest, rank, reshapeNearSquare: false);
        basis.Regenerate(17);
        var sweep = new SubspaceSweep(m.Sweep, basis);
        int w1 = m.Store.IdOf("w1"), b1 = m.Store.IdOf("b1");
        var zeros = new float[m.Store.ElementCount];

        double sumRatio = 0;
        for (int k = 0; k < directions; k++)
        {
            m.Store.Restore(zeros);
            ulong seed = (ulong)(1000 + k);
            sweep.Apply(seed, 1.0);
            var d = m.Store.Master(w1);
            double norm2 = 0;
            foreach (float x in d) norm2 += (double)x * x;
            sumRatio += norm2 / (rows * columns);
            if (k == 0)
            {
                var singular = SingularValues(d, rows, columns);
                TestContext.Out.WriteLine($"singular values: {string.Join(" ", singular.Take(rank + 2).Select(s => s.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)))} …");
                Assert.That(singular[rank - 1] / singular[0], Is.GreaterThan(1e-3), "the first r singular values are non-zero");
                Assert.That(singular[rank] / singular[0], Is.LessThan(1e-5), "singular values beyond r vanish");

                // Non-matrix tensors get MeZO's Gaussian, element for element.
                var bias = m.Store.Master(b1);
                for (int i = 0; i < bias.Length; i++) Assert.That(bias[i], Is.EqualTo(GaussianNoise.Value(SquaresRng.Key(seed, b1), i)));
            }
        }
        double mean = sumRatio / directions;
        TestContext.Out.WriteLine($"mean ‖D‖²/mn over {directions} directions: {mean:F4}");
        Assert.That(mean, Is.EqualTo(1.0).Within(4 * Math.Sqrt(2) / (rank * Math.Sqrt(directions))));
    }

    [Test]
    public void Subspaces_are_orthonormal_and_a_pure_function_of_their_seed()
    {
        using var m = new Model(inputs: 64, hidden: 48);
        var basis = SubspaceBasis.Create(m.Store.Manifest, 8, reshapeNearSquare: false);
        basis.Regenerate(5);
        foreach (var s in basis.Subspaces)
        {
            for (int a = 0; a < s.Rank; a++)
            {
                for (int b = 0; b < s.Rank; b++)
                {
                    double uu = 0, vv = 0;
                    for (int i = 0; i < s.Rows; i++) uu += (double)s.U[i * s.Rank + a] * s.U[i * s.Rank + b];
                    for (int j = 0; j < s.Columns; j++) vv += (double)s.Vt[a * s.Columns + j] * s.Vt[b * s.Columns + j];
                    Assert.That(uu, Is.EqualTo(a == b ? 1 : 0).Within(1e-6));
                    Assert.That(vv, Is.EqualTo(a == b ? 1 : 0).Within(1e-6));
                }
            }
        }
        var u = basis.For(m.Store.IdOf("w1"))!.U.ToArray();
        basis.Regenerate(6);
        Assert.That(basis.For(m.Store.IdOf("w1"))!.U, Is.Not.EqualTo(u));
        basis.Regenerate(5);
        Assert.That(basis.For(m.Store.IdOf("w1"))!.U, Is.EqualTo(u));
        Assert.That(basis.For(m.Store.IdOf("w2"))!.Rank, Is.EqualTo(3), "rank is capped by the smaller side of w2 (3 × 48)");
        Assert.That(basis.For(m.Store.IdOf("b1")), Is.Null);
        Assert.That(basis.StateBytes, Is.EqualTo(((64 + 48) * 8 + (3 + 48) * 3) * 4));
    }

    [Test]
    public void Matrix_views_and_the_near_square_reshape()
    {
        Assert.That(SubspaceBasis.NearSquare(6144), Is.EqualTo((64L, 96L)));
        Assert.That(SubspaceBasis.NearSquare(36), Is.EqualTo((6L, 6L)));
        Assert.That(SubspaceBasis.NearSquare(13), Is.EqualTo((1L, 13L)));
        Assert.That(SubspaceBasis.NearSquare(768L * 3072), Is.EqualTo((1536L, 1536L)));
        Assert.That(SubspaceBasis.MatrixView([1, 768, 3072], reshapeNearSquare: false), Is.EqualTo(((long, long)?)(768L, 3072L)));
        Assert.That(SubspaceBasis.MatrixView([768], reshapeNearSquare: false), Is.Null);
        Assert.That(SubspaceBasis.MatrixView([2, 3, 4], reshapeNearSquare: true), Is.Null);
        Assert.That(SubspaceBasis.MatrixView([768, 8], reshapeNearSquare: true), Is.EqualTo(((long, long)?)(64L, 96L)));

        using var m = new Model(inputs: 64, hidden: 48);
        var basis = SubspaceBasis.Create(m.Store.Manifest, 8, reshapeNearSquare: true);
        var w1 = basis.For(m.Store.IdOf("w1"))!;
        Assert.That((w1.Rows, w1.Columns), Is.EqualTo((48, 64)));
    }

    [Test]
    public void Subspaces_are_refreshed_every_T_steps_from_a_logged_seed()
    {
        using var f = new Ort.MlpFixture(seed: 6);
        var optimizer = SubZeroOptimizer.Create(f.Sweep, new SubZeroOptions { LearningRate = 1e-3, RefreshInterval = 4, Seed = 9 });
        for (int step = 0; step < 10; step++)
        {
            using var batch = Ort.MlpFixture.Blobs(8, step);
            f.Session.Bind(batch);
            var record = optimizer.Step(new DelegateLossEvaluator(f.Session.Loss));
            bool refresh = step % 4 == 0;
            Assert.That(record.Seeds, Has.Count.EqualTo(refresh ? 2 : 1), $"step {step}");
            if (refresh) Assert.That(optimizer.Basis.Seed, Is.EqualTo(record.Seeds[0]));
            Assert.That(optimizer.Basis.Seed, Is.EqualTo(SquaresRng.DeriveSeed(9, step / 4 * 4, 0)));
        }
    }

    [Test]
    public void Rows_split_across_blocks_give_the_same_weights_as_whole_rows()
    {
        // w1 is 8 × 24, so 16-element blocks start and end inside rows.
        string Run(SweepOptions options)
        {
            using var m = new Model(inputs: 8, hidden: 24, options);
            var optimizer = SubZeroOptimizer.Create(m.Sweep, new SubZeroOptions { LearningRate = 1e-3, Rank = 4, Seed = 2 });
            for (int step = 0; step < 3; step++) optimizer.Step(new ScriptedLosses(1.0 + 0.001 * step, 0.999));
            return m.Store.Checksum();
        }
        var whole = Run(new SweepOptions { Threads = 1, BlockElements = 1 << 15 });
        Assert.That(Run(new SweepOptions { Threads = 1, BlockElements = 16 }), Is.EqualTo(whole));
        Assert.That(Run(new SweepOptions { Threads = 2, BlockElements = 16, Kernel = KernelPath.Reference }), Is.EqualTo(whole));
    }

    private static double[] SingularValues(ReadOnlySpan<float> d, int rows, int columns)
    {
        var gram = new double[columns * columns];
        for (int a = 0; a < columns; a++)
        {
            for (int b = 0; b < columns; b++)
            {
                double sum = 0;
                for (int i = 0; i < rows; i++) sum += (double)d[i * columns + a] * d[i * columns + b];
                gram[a * columns + b] = sum;
            }
        }
        return [.. Jacobi.Eigenvalues(gram, columns).Select(l => Math.Sqrt(Math.Max(l, 0)))];
    }

    /// <summary>A prepared MLP of chosen size with a store and a sweep (no session).</summary>
    private sealed class Model : IDisposable
    {
        private readonly TempDirectory _temp = new();

        public Model(int inputs, int hidden, SweepOptions? options = null)
        {
            var source = TestModels.Mlp(_temp["src"], inputs, hidden, 3, seed: 1);
            var prepared = TrainingModelBuilder.Prepare(source, _temp["prepared"], new PrepareOptions { Loss = ClassificationLossHead.Create("logits") });
            Store = WeightStore.Load(prepared);
            Sweep = new PerturbationSweep(Store, options ?? new SweepOptions { Threads = 1 });
        }

        public WeightStore Store { get; }

        public PerturbationSweep Sweep { get; }

        public void Dispose()
        {
            Store.Dispose();
            _temp.Dispose();
        }
    }
}
