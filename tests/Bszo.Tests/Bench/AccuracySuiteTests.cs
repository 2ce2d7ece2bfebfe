using System.Text.Json.Nodes;
using Bszo.Bench.Accuracy;
using Bszo.Bench.Setup;
using Bszo.Ort.Graph;
using Bszo.Tests.Support;

namespace Bszo.Tests.Bench;

/// <summary>The accuracy suite's parts: the first-order linear probe, the divergence rule, which methods need more seeds, and a small plan end to end.</summary>
public class AccuracySuiteTests
{
    private static (List<float[]> X, List<int> Y) Blobs(int count, int seed)
    {
        var rng = new Random(seed);
        var x = new List<float[]>();
        var y = new List<int>();
        for (int n = 0; n < count; n++)
        {
            int label = rng.Next(3);
            var row = TestModels.Randn(rng, 6, 1f);
            row[label] += 2.5f;
            x.Add(row);
            y.Add(label);
        }
        return (x, y);
    }

    [Test]
    public void The_logistic_regression_gradient_matches_finite_differences()
    {
        var (x, y) = Blobs(40, 1);
        var fit = LogisticRegression.Fit(x, y, 3, l2: 0.05, iterations: 3);
        var gradient = fit.Gradient(x, y, 0.05);
        const double h = 1e-6;
        for (int i = 0; i < gradient.Length; i++)
        {
            fit.Nudge(i, h);
            double up = fit.Loss(x, y, 0.05);
            fit.Nudge(i, -2 * h);
            double down = fit.Loss(x, y, 0.05);
            fit.Nudge(i, h);
            Assert.That(gradient[i], Is.EqualTo((up - down) / (2 * h)).Within(1e-6), $"weight {i}");
        }
    }

    [Test]
    public void The_logistic_regression_converges_to_a_stationary_point_that_separates_blobs()
    {
        var (x, y) = Blobs(300, 2);
        var (heldOut, heldOutLabels) = Blobs(300, 3);
        var fit = LogisticRegression.Fit(x, y, 3, l2: 1e-2, iterations: LinearProbe.Iterations);
        double norm = Math.Sqrt(fit.Gradient(x, y, 1e-2).Sum(g => g * g));
        TestContext.Out.WriteLine($"gradient norm {norm:E2}, held-out accuracy {fit.Accuracy(heldOut, heldOutLabels):F3}");
        Assert.That(norm, Is.LessThan(1e-6));
        Assert.That(fit.Accuracy(heldOut, heldOutLabels), Is.GreaterThan(0.85));
    }

    [Test]
    public void A_run_whose_training_loss_rises_counts_as_diverged()
    {
        var flat = Enumerable.Range(0, 100).Select(i => 0.6 + 0.01 * Math.Sin(i)).ToList();
        Assert.That(AccuracyRun.LossRose(flat).Rose, Is.False);
        var falling = Enumerable.Range(0, 100).Select(i => 0.7 - 0.002 * i).ToList();
        Assert.That(AccuracyRun.LossRose(falling).Rose, Is.False);
        var rising = Enumerable.Range(0, 100).Select(i => 0.6 + 0.01 * i).ToList();
        var (rose, because) = AccuracyRun.LossRose(rising);
        Assert.That(rose, Is.True);
        Assert.That(because, Does.Contain("rose from"));
    }

    [Test]
    public void Methods_whose_test_means_lie_within_two_standard_deviations_get_more_seeds()
    {
        var arm = new AccuracyArm
        {
            Name = "a", Description = "", Budget = 6,
            Methods = [new("mezo", [0.1], 2), new("bszo", [0.1], 3), new("subzero", [0.1], 2)],
        };
        AccuracyRun Run(string method, ulong seed, double test) => new() { Arm = "a", Method = method, LearningRate = 0.1, Seed = seed, Directory = "", FineTunedTest = test };
        var runs = new List<AccuracyRun>
        {
            Run("mezo", 0, 0.70), Run("mezo", 1, 0.72), Run("mezo", 2, 0.71),
            Run("bszo", 0, 0.715), Run("bszo", 1, 0.725), Run("bszo", 2, 0.705),
            Run("subzero", 0, 0.60), Run("subzero", 1, 0.61), Run("subzero", 2, 0.60),
        };
        var chosen = new Dictionary<(string, string), double> { [("a", "mezo")] = 0.1, [("a", "bszo")] = 0.1, [("a", "subzero")] = 0.1 };
        Assert.That(AccuracySuite.CloseMethods(arm, runs, chosen, [0, 1, 2]), Is.EquivalentTo(new[] { "mezo", "bszo" }));
    }

    [Test]
    public void A_small_plan_chooses_rates_on_dev_fits_the_probe_continues_from_the_head_and_trains_a_sixteen_bit_copy()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"], trainable: ["w2", "b2"]);
        // Checksums beside the source model, as Bszo's converters write them: the 16-bit copy must not inherit them.
        FileChecksums.Write(model, Directory.GetFiles(model).Select(Path.GetFileName).OfType<string>().Where(n => n != "bszo-model.json"));
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 400, seed: 3);
        var plan = new AccuracyPlan
        {
            Seeds = [0, 1],
            Epsilon = 1e-3,
            Evaluations = 2,
            BatchSize = 16,
            NumTrain = 64,
            NumDev = 48,
            NumTest = 64,
            Arms =
            [
                new AccuracyArm { Name = "head", Description = "the last layer", Budget = 60, Methods = [new("mezo", [1e-4, 3e-2], 2), new("bszo", [0.3], 3)] },
                new AccuracyArm { Name = "probe", Description = "linear probe", ProbeOf = "head" },
                new AccuracyArm
                {
                    Name = "whole", Description = "every layer, from the head arm's weights", Budget = 60, ContinueFrom = "head",
                    Arguments = ["--trainable", "w*", "--trainable", "b*"], Methods = [new("mezo", [1e-3], 2)],
                },
                new AccuracyArm
                {
                    Name = "head-bf16", Description = "the last layer in bf16", Budget = 60,
                    Storage = new SixteenBitStorage(OnnxDataType.BFloat16, []), Methods = [new("mezo", [3e-2], 2)],
                },
            ],
        };
        var lines = new List<string>();
        var settings = new BenchSettings { Threads = 1, Out = temp["out"], CommandLine = "test", Log = lines.Add };
        var options = new AccuracyOptions(plan, temp["work"], "small", model,
            ["--task", "custom", "--data", data, "--template", FeatureModel.Template, "--verbalizer", FeatureModel.Verbalizer]);
        var results = AccuracySuite.Run(settings, options);

        // Seed 0 runs the grid; the dev score alone picks MeZO's rate, which seed 1 then runs.
        var mezoGrid = results.Runs.Where(r => r.Arm == "head" && r.Method == "mezo" && r.Seed == 0).ToList();
        Assert.That(mezoGrid.Select(r => r.LearningRate), Is.EquivalentTo(new[] { 1e-4, 3e-2 }));
        Assert.That(results.Chosen[("head", "mezo")], Is.EqualTo(mezoGrid.Where(r => !r.Diverged).MaxBy(r => r.BestDev)!.LearningRate));
        Assert.That(results.Runs.Where(r => r.Seed == 1 && r.Arm == "head").Select(r => (r.Method, r.LearningRate)),
            Is.EquivalentTo(new[] { ("mezo", results.Chosen[("head", "mezo")]), ("bszo", 0.3) }));
        Assert.That(results.Runs.Where(r => r.Arm == "head" && !r.Diverged).Select(r => r.ForwardPasses), Is.All.EqualTo(60));

        // The probe: one fit per seed on the head runs' 16 hidden features, at least as good as chance.
        Assert.That(results.Probes.Select(p => p.Probe.Seed), Is.EqualTo(new ulong[] { 0, 1 }));
        Assert.That(results.Probes.Select(p => p.Probe.Features), Is.All.EqualTo(16));
        Assert.That(results.Probes.Select(p => p.Probe.TestAccuracy), Is.All.GreaterThan(0.5));

        // The continuing arm starts each seed from the head arm's chosen MeZO run of that seed: its
        // starting test score is that run's best-dev test score, on the same split.
        var whole = results.Runs.Where(r => r.Arm == "whole").OrderBy(r => r.Seed).ToList();
        Assert.That(whole.Select(r => r.Seed), Is.EqualTo(new ulong[] { 0, 1 }));
        foreach (var run in whole)
        {
            var source = results.Runs.Single(r => r.Arm == "head" && r.Method == "mezo" && r.Seed == run.Seed && r.LearningRate == results.Chosen[("head", "mezo")]);
            Assert.That(run.ZeroShotTest, Is.EqualTo(source.FineTunedTest).Within(1e-9), $"seed {run.Seed}");
            Assert.That(JsonNode.Parse(File.ReadAllText(Path.Combine(run.Directory, "config.json")))!["resolved"]!["model"]!.GetValue<string>(),
                Does.Contain(Path.Combine("whole", "start", $"mezo-seed{run.Seed}")));
        }

        // The bf16 copy stores the card's tensors in 16 bits, and its runs trained on it.
        var copy = Bszo.Ort.Graph.OnnxModelFile.Load(Path.Combine(temp["work"], "head-bf16", "model", "mlp.onnx"));
        Assert.That(copy.Graph.Initializer.Where(t => t.Name is "w2" or "b2").Select(t => t.DataType), Is.All.EqualTo(OnnxDataType.BFloat16));
        Assert.That(copy.Graph.Initializer.Single(t => t.Name == "w1").DataType, Is.EqualTo(OnnxDataType.Float));
        Assert.That(FileChecksums.Verify(Path.Combine(temp["work"], "head-bf16", "model"), "test"), Is.True, "the copy's own checksums");
        var bf16 = results.Runs.Where(r => r.Arm == "head-bf16").ToList();
        Assert.That(bf16, Has.Count.EqualTo(2));
        Assert.That(JsonNode.Parse(File.ReadAllText(Path.Combine(bf16[0].Directory, "config.json")))!["resolved"]!["model"]!.GetValue<string>(),
            Does.Contain("head-bf16"));

        var markdown = File.ReadAllText(temp["out/small.md"]);
        Assert.That(markdown, Does.Contain("## probe").And.Contain("## head-bf16").And.Contain("grid diverged"));
        Assert.That(markdown, Does.Contain("start: head mezo").And.Contain("gain over its start (head)"));
        Assert.That(File.Exists(temp["out/small.json"]));
    }
}
