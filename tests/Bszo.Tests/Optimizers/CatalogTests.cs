using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Tests.Ort;

namespace Bszo.Tests.Optimizers;

public class CatalogTests
{
    [Test]
    public void Lists_every_method_with_description_defaults_and_source()
    {
        Assert.That(OptimizerCatalog.Names, Is.SupersetOf(FamilyRuns.Methods));
        var text = OptimizerCatalog.Describe();
        TestContext.Out.WriteLine(text);
        foreach (var d in OptimizerCatalog.All)
        {
            Assert.That(text, Does.Contain(d.Name).And.Contain(d.Description).And.Contain(d.Source));
            Assert.That(d.DefaultsSummary, Does.StartWith("learningRate="));
        }
        Assert.That(OptimizerCatalog.Get("subzero").DefaultsSummary, Does.Contain("rank=8").And.Contain("refreshInterval=1000"));
        Assert.That(OptimizerCatalog.Get("hizoo").DefaultsSummary, Does.Contain("hessianSmoothing=auto"));
        Assert.That(OptimizerCatalog.Get("zo-sgd-mmt").DefaultsSummary, Does.Contain("momentum=0.9"));
    }

    [Test]
    public void An_unknown_name_fails_with_the_known_names()
    {
        var e = Assert.Throws<BszoException>(() => OptimizerCatalog.Get("adam-zo"));
        foreach (var name in FamilyRuns.Methods) Assert.That(e!.Message, Does.Contain(name));
        Assert.That(OptimizerCatalog.Get(" SubZero ").Name, Is.EqualTo("subzero"));
    }

    [Test]
    public void Overrides_apply_to_the_methods_own_options_and_are_validated()
    {
        var subzero = (SubZeroOptions)OptimizerCatalog.Get("subzero").Configure(
            [new("rank", "16"), new("refresh-interval", "2000"), new("learning_rate", "1e-7"), new("reshapeNearSquare", "true")]);
        Assert.That(subzero, Is.EqualTo(new SubZeroOptions { Rank = 16, RefreshInterval = 2000, LearningRate = 1e-7, ReshapeNearSquare = true }));

        var hizoo = (HiZooOptions)OptimizerCatalog.Get("hizoo").Configure([new("hessian-smoothing", "1e-6")]);
        Assert.That(hizoo.EffectiveSmoothing, Is.EqualTo(1e-6));

        Assert.That(OptimizerCatalog.Get("mezo").Configure([]), Is.EqualTo(new MezoOptions()));
        Assert.That(Assert.Throws<BszoException>(() => OptimizerCatalog.Get("mezo").Configure([new("rank", "4")]))!.Message, Does.Contain("learningRate"));
        Assert.Throws<BszoException>(() => OptimizerCatalog.Get("subzero").Configure([new("rank", "0")]));
        Assert.Throws<BszoException>(() => OptimizerCatalog.Get("subzero").Configure([new("rank", "many")]));
        Assert.Throws<BszoException>(() => OptimizerCatalog.Get("zo-sgd-cons").Configure([new("weight-decay", "0.1")]));
    }

    [Test]
    public void Options_of_another_method_are_refused()
    {
        using var f = new MlpFixture();
        var e = Assert.Throws<BszoException>(() => OptimizerCatalog.Create("subzero", f.Sweep, new MezoOptions()));
        Assert.That(e!.Message, Does.Contain("SubZeroOptions"));
    }

    [Test]
    public void State_estimates_for_an_OPT_125m_shaped_model()
    {
        var manifest = Opt125m();
        Assert.That(manifest.ElementCount, Is.EqualTo(125_239_296));
        var bytes = OptimizerCatalog.All.ToDictionary(d => d.Name, d => d.EstimateStateBytes(manifest));
        foreach (var (name, b) in bytes) TestContext.Out.WriteLine($"{name,-12} {b,14:N0} bytes ({b / 1048576.0:F1} MiB)");

        long perElement = manifest.Tensors.Sum(t => (t.ElementCount + 15) / 16 * 16) * 4;
        Assert.That(bytes["mezo"], Is.Zero);
        Assert.That(bytes["zo-sgd-mmt"], Is.EqualTo(perElement));
        Assert.That(bytes["hizoo"], Is.EqualTo(perElement));
        Assert.That(bytes["zo-adam"], Is.EqualTo(2 * perElement));
        // SubZero: Σ (m + n)·8 floats over the 2-D tensors.
        long subzero = manifest.Tensors.Where(t => t.Shape.Length == 2).Sum(t => (t.Shape[0] + t.Shape[1]) * 8 * 4);
        Assert.That(bytes["subzero"], Is.EqualTo(subzero));
    }

    /// <summary>facebook/opt-125m's trainable tensors (the LM head is tied to the token embedding).</summary>
    private static WeightManifest Opt125m()
    {
        var shapes = new List<(string, long[])>
        {
            ("embed_tokens", [50272, 768]),
            ("embed_positions", [2050, 768]),
        };
        for (int layer = 0; layer < 12; layer++)
        {
            foreach (var p in new[] { "q", "k", "v", "out" })
            {
                shapes.Add(($"layers.{layer}.{p}_proj.weight", [768, 768]));
                shapes.Add(($"layers.{layer}.{p}_proj.bias", [768]));
            }
            shapes.Add(($"layers.{layer}.self_attn_layer_norm.weight", [768]));
            shapes.Add(($"layers.{layer}.self_attn_layer_norm.bias", [768]));
            shapes.Add(($"layers.{layer}.fc1.weight", [3072, 768]));
            shapes.Add(($"layers.{layer}.fc1.bias", [3072]));
            shapes.Add(($"layers.{layer}.fc2.weight", [768, 3072]));
            shapes.Add(($"layers.{layer}.fc2.bias", [768]));
            shapes.Add(($"layers.{layer}.final_layer_norm.weight", [768]));
            shapes.Add(($"layers.{layer}.final_layer_norm.bias", [768]));
        }
        shapes.Add(("final_layer_norm.weight", [768]));
        shapes.Add(("final_layer_norm.bias", [768]));
        return new WeightManifest
        {
            Tensors = [.. shapes.Select((s, i) => new WeightEntry(s.Item1, i, OnnxDataType.Float, OnnxDataType.Float, s.Item2, 0))],
        };
    }
}
