using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Tests.Ort;

public class RuntimeTests
{
    [Test]
    public void Training_graph_reproduces_the_original_model_outputs()
    {
        using var f = new MlpFixture();
        using var batch = MlpFixture.Blobs(32, seed: 11);
        var (trainingLogits, shape) = f.Session.Run(batch, "logits");

        using var original = new InferenceSession(f.Source);
        var x = batch.Values.Single(v => v.Name == "x").Value;
        using var results = original.Run(new RunOptions(), ["x"], [x], ["logits"]);
        var originalLogits = results[0].GetTensorDataAsSpan<float>().ToArray();

        Assert.That(shape, Is.EqualTo(new long[] { 32, MlpFixture.Classes }));
        Assert.That(trainingLogits, Is.EqualTo(originalLogits).Within(1e-6f));
    }

    [Test]
    public void Loss_head_computes_per_example_cross_entropy()
    {
        using var f = new MlpFixture();
        using var batch = MlpFixture.Blobs(16, seed: 12);
        var (logits, _) = f.Session.Run(batch, "logits");
        var labels = new long[16];
        batch.Values.Single(v => v.Name == "labels").Value.GetTensorDataAsSpan<long>().CopyTo(labels);

        f.Session.Bind(batch);
        double mean = f.Session.Loss();
        var perExample = f.Session.ExampleLosses.ToArray();
        double expectedMean = 0;
        for (int i = 0; i < 16; i++)
        {
            var row = logits.AsSpan(i * 3, 3).ToArray().Select(v => (double)v).ToArray();
            double max = row.Max();
            double lse = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            double ce = lse - row[labels[i]];
            Assert.That(perExample[i], Is.EqualTo(ce).Within(1e-5));
            expectedMean += ce / 16;
        }
        Assert.That(mean, Is.EqualTo(expectedMean).Within(1e-6));
    }

    [Test]
    public void An_in_place_weight_change_is_seen_by_the_next_run_without_rebuilding()
    {
        using var f = new MlpFixture();
        using var batch = MlpFixture.Blobs(32, seed: 13);
        f.Session.Bind(batch);
        double before = f.Session.Loss();

        f.Sweep.Apply(seed: 77, coefficient: 0.05); // every tensor, including W2 used through Transpose
        double after = f.Session.Loss();
        Assert.That(after, Is.Not.EqualTo(before).Within(1e-4), "the session must read the mutated buffers");

        // A fresh session built on the changed weights (saved, reloaded) gives the same loss.
        var manifest = f.Store.Save(f.Temp["changed.bin"]);
        using var reloaded = WeightStore.Load(manifest, f.Temp["changed.bin"]);
        using var fresh = TrainingGraphSession.Create(f.Prepared, reloaded, new SessionSettings { IntraOpThreads = 1 });
        fresh.Bind(batch);
        Assert.That(fresh.Loss(), Is.EqualTo(after).Within(1e-7));
        Assert.That(reloaded.Checksum(), Is.EqualTo(f.Store.Checksum()));
    }

    [Test]
    public void Every_trainable_tensor_is_live()
    {
        // A change to any single tensor must change the loss: catches partial staleness (e.g. a
        // prepacked or constant-folded copy of one weight).
        using var f = new MlpFixture();
        using var batch = MlpFixture.Blobs(32, seed: 14);
        f.Session.Bind(batch);
        double baseline = f.Session.Loss();
        foreach (var t in f.Store.Tensors)
        {
            var w = f.Store.Master(t.Entry.Id);
            var saved = w.ToArray();
            // Random, so that no structure of the change (e.g. the same shift for every class) cancels in the loss.
            var delta = TestModels.Randn(new Random(t.Entry.Id), w.Length, 0.2f);
            for (int i = 0; i < w.Length; i++) w[i] += delta[i];
            Assert.That(f.Session.Loss(), Is.Not.EqualTo(baseline).Within(1e-6), $"tensor '{t.Entry.Name}' is stale");
            saved.CopyTo(w);
            Assert.That(f.Session.Loss(), Is.EqualTo(baseline), $"tensor '{t.Entry.Name}' did not restore");
        }
    }

    [Test]
    public void Prepare_turns_trainable_initializers_into_inputs_and_keeps_the_source_unchanged()
    {
        using var temp = new TempDirectory();
        var source = TestModels.Mlp(temp["src"]);
        var before = File.ReadAllBytes(source);
        var beforeData = File.ReadAllBytes(Path.Combine(temp["src"], "mlp.data"));
        var prepared = TrainingModelBuilder.Prepare(source, temp["out"], new PrepareOptions { Loss = ClassificationLossHead.Create("logits"), Trainable = ["w*"] });

        Assert.That(prepared.Manifest.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "w1", "w2" }));
        var graph = OnnxModelFile.Load(prepared.GraphPath).Graph;
        Assert.That(graph.Input.Select(i => i.Name), Is.SupersetOf(new[] { "x", "labels", "w1", "w2" }));
        Assert.That(graph.Initializer.Select(i => i.Name), Does.Contain("b1").And.Not.Contains("w1"));
        Assert.That(prepared.Manifest.Tensors.All(t => t.Offset % TrainingModelBuilder.Alignment == 0));
        Assert.That(File.ReadAllBytes(source), Is.EqualTo(before));
        Assert.That(File.ReadAllBytes(Path.Combine(temp["src"], "mlp.data")), Is.EqualTo(beforeData));
    }

    [Test]
    public void Fp16_storage_keeps_fp32_masters_and_a_rounded_runtime_copy()
    {
        using var temp = new TempDirectory();
        var source = TestModels.Mlp(temp["src"]);
        var prepared = TrainingModelBuilder.Prepare(source, temp["out"], new PrepareOptions { Loss = ClassificationLossHead.Create("logits") });
        // Rewrite the manifest as if the model stored its weights in fp16 and load the masters from an fp32 file:
        // the store must round the runtime copy from the master after every sweep.
        var manifest = prepared.Manifest with { Tensors = prepared.Manifest.Tensors.Select(t => t with { StorageType = OnnxDataType.Float16 }).ToList() };
        using var store = WeightStore.Load(manifest, prepared.DataPath);
        var sweep = new Bszo.Ort.Perturbation.PerturbationSweep(store);
        sweep.Apply(5, 1e-3);
        foreach (var t in store.Tensors)
        {
            var master = store.Master(t.Entry.Id).ToArray();
            var runtime = store.Value(t.Entry.Id).GetTensorDataAsSpan<Float16>().ToArray();
            for (int i = 0; i < master.Length; i++) Assert.That(runtime[i].ToFloat(), Is.EqualTo((float)(Half)master[i]));
        }
    }
}
