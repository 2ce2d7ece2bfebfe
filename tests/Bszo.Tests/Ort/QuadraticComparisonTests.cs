using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Ort;

/// <summary>
/// BSZO against MeZO on an ill-conditioned quadratic at an equal forward-pass budget, each with the
/// best learning rate of a grid (median over seeds), the comparison the BSZO paper's argument predicts.
/// </summary>
public class QuadraticComparisonTests
{
    private const int Dimensions = 64;
    private const int ForwardBudget = 1200;

    /// <summary>
    /// The paper sets σₚ = √(n/10⁶) for models of 10⁸–10¹⁰ parameters, where σₚ² ≈ 10²–10⁴ is far above
    /// the squared directional derivatives y², so the shrinkage γ = σₚ²/(σₚ² + σₑ²) stays near 1. Here
    /// n = 64 and |y| starts near 10³; the automatic prior would put BSZO in the opposite regime (γ ≈ 10⁻¹⁰
    /// after the first step). A prior well above |y| reproduces the paper's regime.
    /// </summary>
    private const double PriorStd = 1e4;
    private static readonly int[] Seeds = [1, 2, 3, 4, 5];

    private sealed class Problem : IDisposable
    {
        public Problem()
        {
            var rng = new Random(17);
            // Curvatures log-spaced over three decades: condition number 1000.
            var h = Enumerable.Range(0, Dimensions).Select(i => (float)Math.Pow(1000, i / (double)(Dimensions - 1))).ToArray();
            var target = TestModels.Randn(rng, Dimensions, 1f);
            var source = TestModels.Quadratic(Temp["src"], h, target, new float[Dimensions]);
            Prepared = TrainingModelBuilder.Prepare(source, Temp["prepared"], new PrepareOptions { Loss = OutputLossHead.Create("q"), Trainable = ["w"] });
        }

        public TempDirectory Temp { get; } = new();

        public PreparedModel Prepared { get; }

        /// <summary>Final loss after spending the forward budget.</summary>
        public double Run(Func<PerturbationSweep, ZerothOrderOptimizer> create)
        {
            using var store = WeightStore.Load(Prepared);
            using var session = TrainingGraphSession.Create(Prepared, store, new SessionSettings { IntraOpThreads = 1 });
            using var batch = new TensorBatch(1).Add("x", new float[] { 1f }, 1);
            session.Bind(batch);
            var optimizer = create(new PerturbationSweep(store, new SweepOptions { Threads = 1 }));
            var loss = new DelegateLossEvaluator(session.Loss);
            while (session.ForwardPasses + optimizer.ForwardPassesPerStep <= ForwardBudget)
            {
                try
                {
                    optimizer.Step(loss);
                }
                catch (Bszo.Ort.TrainingDivergedException)
                {
                    return double.PositiveInfinity;
                }
            }
            double final = session.Loss();
            return double.IsFinite(final) ? final : double.PositiveInfinity;
        }

        public void Dispose() => Temp.Dispose();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }

    [Test]
    public void Bszo_reaches_a_lower_loss_than_mezo_at_an_equal_forward_pass_budget()
    {
        using var problem = new Problem();
        double initial = problem.Run(sweep => MezoOptimizer.Create(sweep, new MezoOptions { LearningRate = 0 }));
        double[] grid = Enumerable.Range(-12, 8).Select(e => Math.Pow(10, e / 2.0)).ToArray(); // 1e-6 … 3e-3, half-decade steps

        var mezo = grid.Select(lr => (lr, loss: Median(Seeds.Select(s => problem.Run(sweep =>
            MezoOptimizer.Create(sweep, new MezoOptions { LearningRate = lr, Epsilon = 1e-3, Seed = (ulong)s })))))).ToList();
        var bszo = grid.Select(lr => (lr, loss: Median(Seeds.Select(s => problem.Run(sweep =>
            BszoOptimizer.Create(sweep, new BszoOptions { LearningRate = lr, Seed = (ulong)s, PriorStd = PriorStd })))))).ToList();

        foreach (var (lr, loss) in mezo) TestContext.Out.WriteLine($"mezo lr {lr:E0}: median final loss {loss:G4}");
        foreach (var (lr, loss) in bszo) TestContext.Out.WriteLine($"bszo lr {lr:E0}: median final loss {loss:G4}");
        var bestMezo = mezo.MinBy(r => r.loss);
        var bestBszo = bszo.MinBy(r => r.loss);
        TestContext.Out.WriteLine($"initial {initial:G4}; best MeZO {bestMezo.loss:G4} (lr {bestMezo.lr:E0}); best BSZO {bestBszo.loss:G4} (lr {bestBszo.lr:E0})");

        Assert.That(bestMezo.loss, Is.LessThan(initial), "MeZO must make progress, or the comparison says nothing");
        // Each method's best rate lies inside the grid, so neither is handicapped by where the grid ends.
        Assert.That(bestMezo.lr, Is.GreaterThan(grid[0]).And.LessThan(grid[^1]));
        Assert.That(bestBszo.lr, Is.GreaterThan(grid[0]).And.LessThan(grid[^1]));
        Assert.That(bestBszo.loss, Is.LessThan(bestMezo.loss));
    }
}
