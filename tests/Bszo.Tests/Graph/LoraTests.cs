using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;
using Bszo.Tests.Ort;
using Bszo.Tests.Support;

namespace Bszo.Tests.Graph;

public class LoraTests
{
    [Test]
    public void Adapters_train_only_A_and_B_and_leave_the_outputs_unchanged_at_initialisation()
    {
        using var temp = new TempDirectory();
        var source = TestModels.Mlp(temp["src"], seed: 3);
        var plain = TrainingModelBuilder.Prepare(source, temp["plain"], new PrepareOptions { Loss = ClassificationLossHead.Create("logits") });
        var lora = TrainingModelBuilder.Prepare(source, temp["lora"], new PrepareOptions
        {
            Loss = ClassificationLossHead.Create("logits"),
            Lora = new LoraOptions { Rank = 4, Alpha = 8, Seed = 1 },
        });

        // Only w1 feeds a MatMul directly (w2 goes through Transpose), so only w1 is adapted.
        var adapter = lora.Manifest.Lora.Single();
        Assert.That(adapter, Is.EqualTo(new LoraAdapter("w1", "w1.lora_A", "w1.lora_B", 4, 8, 8, 16)));
        Assert.That(lora.Manifest.Tensors.Select(t => (t.Name, string.Join("x", t.Shape))), Is.EqualTo(new[] { ("w1.lora_A", "8x4"), ("w1.lora_B", "4x16") }));

        using var plainStore = WeightStore.Load(plain);
        using var loraStore = WeightStore.Load(lora);
        var a = loraStore.Master(loraStore.IdOf("w1.lora_A")).ToArray();
        Assert.That(loraStore.Master(loraStore.IdOf("w1.lora_B")).ToArray(), Has.All.EqualTo(0f));
        double variance = a.Sum(x => (double)x * x) / a.Length;
        TestContext.Out.WriteLine($"A: variance {variance:G3}, Kaiming-uniform's is {1 / (3.0 * 8):G3}");
        Assert.That(variance, Is.EqualTo(1 / (3.0 * 8)).Within(0.6 / (3.0 * 8)), "32 draws of N(0, 1/(3·in))");

        using var batch = MlpFixture.Blobs(32, seed: 5);
        Assert.That(Logits(lora, loraStore, batch), Is.EqualTo(Logits(plain, plainStore, batch)), "B = 0: bit-identical logits");
    }

    [Test]
    public void Merging_trained_adapters_gives_the_outputs_of_the_adapted_graph()
    {
        using var temp = new TempDirectory();
        var source = TestModels.Mlp(temp["src"], seed: 3);
        var plain = TrainingModelBuilder.Prepare(source, temp["plain"], new PrepareOptions { Loss = ClassificationLossHead.Create("logits") });
        var lora = TrainingModelBuilder.Prepare(source, temp["lora"], new PrepareOptions
        {
            Loss = ClassificationLossHead.Create("logits"),
            Lora = new LoraOptions { Rank = 4, Alpha = 8, Seed = 1, Targets = ["w1"] },
        });

        using var store = WeightStore.Load(lora);
        using (var session = TrainingGraphSession.Create(lora, store, new SessionSettings { IntraOpThreads = 1 }))
        {
            var mezo = MezoOptimizer.Create(new PerturbationSweep(store), new MezoOptions { LearningRate = 5e-2, Epsilon = 1e-2, Seed = 2 });
            double first = 0, last = 0;
            for (int step = 0; step < 150; step++)
            {
                using var b = MlpFixture.Blobs(32, seed: step);
                session.Bind(b);
                double loss = mezo.Step(new DelegateLossEvaluator(session.Loss)).ReportedLoss;
                if (step < 10) first += loss / 10;
                if (step >= 140) last += loss / 10;
            }
            TestContext.Out.WriteLine($"LoRA training loss {first:F4} -> {last:F4}");
        }
        Assert.That(store.Master(store.IdOf("w1.lora_B")).ToArray(), Has.Some.Not.EqualTo(0f), "B was trained");

        using var batch = MlpFixture.Blobs(64, seed: 999);
        var adapted = Logits(lora, store, batch);
        foreach (var merged in new[] { LoraMerge.Merge(lora.Manifest, store), LoraMerge.Merge(lora, store) })
        {
            Assert.That(merged.Keys, Is.EqualTo(new[] { "w1" }));
            Assert.That(merged["w1"].Shape, Is.EqualTo(new long[] { 8, 16 }));
            Assert.That(merged["w1"].DataType, Is.EqualTo(OnnxDataType.Float));
            using var plainStore = WeightStore.Load(plain);
            merged["w1"].Values.CopyTo(plainStore.Master(plainStore.IdOf("w1")));
            var deployed = Logits(plain, plainStore, batch);
            double worst = adapted.Zip(deployed, (x, y) => Math.Abs(x - y)).Max();
            TestContext.Out.WriteLine($"max |logit difference| adapted vs merged: {worst:G3}");
            Assert.That(worst, Is.LessThan(1e-5));
        }
    }

    [Test]
    public void An_adapter_on_the_query_and_value_thirds_of_a_fused_projection_merges_into_those_columns_only()
    {
        using var temp = new TempDirectory();
        // w1 [8, 12] stands for a fused [W_q | W_k | W_v] projection with blocks of 4 columns.
        var source = TestModels.Mlp(temp["src"], inputs: 8, hidden: 12, seed: 3);
        var plain = TrainingModelBuilder.Prepare(source, temp["plain"], new PrepareOptions { Loss = ClassificationLossHead.Create("logits") });
        var lora = TrainingModelBuilder.Prepare(source, temp["lora"], new PrepareOptions
        {
            Loss = ClassificationLossHead.Create("logits"),
            Lora = new LoraOptions { Rank = 2, Alpha = 4, Seed = 1, FusedQueryValue = ["w1"] },
        });
        var adapter = lora.Manifest.Lora.Single();
        Assert.That(adapter.Columns, Is.EqualTo(new[] { new LoraColumns(0, 4), new LoraColumns(8, 4) }));
        Assert.That(lora.Manifest.Tensors.Single(t => t.Name == adapter.B).Shape, Is.EqualTo(new long[] { 2, 8 }), "B covers query and value only");

        using var store = WeightStore.Load(lora);
        using var batch = MlpFixture.Blobs(32, seed: 5);
        using (var plainStore = WeightStore.Load(plain))
        {
            Assert.That(Logits(lora, store, batch), Is.EqualTo(Logits(plain, plainStore, batch)), "B = 0: the original outputs");
        }
        var b = store.Master(store.IdOf(adapter.B));
        TestModels.Randn(new Random(9), b.Length, 0.5f).CopyTo(b);
        var adapted = Logits(lora, store, batch);

        var merged = LoraMerge.Merge(lora, store)["w1"].Values;
        using var deployedStore = WeightStore.Load(plain);
        var w1 = deployedStore.Master(deployedStore.IdOf("w1"));
        for (int row = 0; row < 8; row++)
        {
            for (int column = 4; column < 8; column++) Assert.That(merged[row * 12 + column], Is.EqualTo(w1[row * 12 + column]), "the key block is untouched");
        }
        merged.CopyTo(w1);
        double worst = adapted.Zip(Logits(plain, deployedStore, batch), (x, y) => Math.Abs(x - y)).Max();
        Assert.That(worst, Is.LessThan(1e-5), "the merged weight computes what the adapted graph computes");
        using var baseStore = WeightStore.Load(plain);
        Assert.That(adapted.Zip(Logits(plain, baseStore, batch), (x, y) => Math.Abs(x - y)).Max(), Is.GreaterThan(1e-3), "B moved the outputs");
    }

    [Test]
    public void A_target_that_is_not_a_plain_MatMul_weight_is_refused()
    {
        using var temp = new TempDirectory();
        var source = TestModels.Mlp(temp["src"]);
        var e = Assert.Throws<BszoException>(() => TrainingModelBuilder.Prepare(source, temp["out"], new PrepareOptions
        {
            Loss = ClassificationLossHead.Create("logits"),
            Lora = new LoraOptions { Targets = ["w2"] },
        }));
        Assert.That(e!.Message, Does.Contain("w2").And.Contain("Transpose"));
        Assert.Throws<BszoException>(() => TrainingModelBuilder.Prepare(source, temp["out2"], new PrepareOptions
        {
            Loss = ClassificationLossHead.Create("logits"),
            Lora = new LoraOptions { Targets = ["*attn*"] },
        }));
    }

    [Test]
    public void Patterns_can_train_more_tensors_alongside_the_adapters()
    {
        using var temp = new TempDirectory();
        var source = TestModels.Mlp(temp["src"]);
        var prepared = TrainingModelBuilder.Prepare(source, temp["out"], new PrepareOptions
        {
            Loss = ClassificationLossHead.Create("logits"),
            Trainable = ["b*"],
            Lora = new LoraOptions(),
        });
        Assert.That(prepared.Manifest.Tensors.Select(t => t.Name), Is.EquivalentTo(new[] { "b1", "b2", "w1.lora_A", "w1.lora_B" }));
    }

    private static float[] Logits(PreparedModel model, WeightStore store, TensorBatch batch)
    {
        using var session = TrainingGraphSession.Create(model, store, new SessionSettings { IntraOpThreads = 1 });
        return session.Run(batch, "logits").Data;
    }
}
