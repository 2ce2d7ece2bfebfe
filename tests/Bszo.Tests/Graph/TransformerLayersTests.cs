using Bszo.Onnx;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Tests.Support;

namespace Bszo.Tests.Graph;

public class TransformerLayersTests
{
    /// <summary>
    /// A BERT-shaped graph as older PyTorch exports write it: MatMul weights with bare numbers for
    /// names ('927') read by serially named nodes ('MatMul_3'), biases and norms named after their
    /// modules; an embedding before the layers, a pooler that the output does not use, a classifier after.
    /// </summary>
    private static GraphProto AnonymousEncoder(int layers, string stack = "encoder.layer")
    {
        var rng = new Random(3);
        var g = new GraphBuilder("anonymous");
        g.Input("ids", OnnxDataType.Int64, "batch", "sequence");
        string x = g.Node("Gather", [g.Initializer("embeddings.word_embeddings.weight", TestModels.Randn(rng, 40, 1f), 10, 4), "ids"], "embedded");
        int serial = 900;
        for (int l = 0; l < layers; l++)
        {
            string Linear(string input, string module)
            {
                var product = g.Node("MatMul", [input, g.Initializer((serial++).ToString(System.Globalization.CultureInfo.InvariantCulture), TestModels.Randn(rng, 16, 0.5f), 4, 4)], $"MatMul_{serial}");
                return g.Node("Add", [product, g.Initializer($"{stack}.{l}.{module}.bias", TestModels.Randn(rng, 4, 0.1f), 4)], $"Add_{serial}");
            }
            var q = Linear(x, "attention.self.query");
            var v = Linear(x, "attention.self.value");
            var h = g.Node("Add", [x, g.Node("Mul", [q, v], $"Mul_{l}")], $"Add_res_{l}");
            x = g.Node("LayerNormalization", [h, g.Initializer($"{stack}.{l}.output.LayerNorm.weight", TestModels.Randn(rng, 4, 1f), 4),
                g.Initializer($"{stack}.{l}.output.LayerNorm.bias", TestModels.Randn(rng, 4, 0.1f), 4)], $"LayerNorm_{l}");
        }
        var pooled = g.Node("ReduceMean", [x], "pooled", ("axes", new long[] { 1 }), ("keepdims", 0L));
        g.Node("Tanh", [g.Node("MatMul", [pooled, g.Initializer("pooler.dense.weight", TestModels.Randn(rng, 16, 0.5f), 4, 4)], "pooler_product")], "pooler_output");
        g.Node("MatMul", [pooled, g.Initializer("classifier.weight", TestModels.Randn(rng, 8, 0.5f), 4, 2)], "logits");
        g.Output("logits", OnnxDataType.Float, "batch", 2L);
        return g.Graph;
    }

    [Test]
    public void Layers_are_found_through_the_names_of_biases_when_weights_are_anonymous()
    {
        var layers = TransformerLayers.Find(AnonymousEncoder(3), ["logits"], "model.onnx");
        Assert.That(layers.Name, Is.EqualTo("encoder.layer"));
        Assert.That(layers.Layers, Has.Count.EqualTo(3));
        Assert.That(layers.Layers[2], Is.EquivalentTo(new[]
        {
            "904", "905", "encoder.layer.2.attention.self.query.bias", "encoder.layer.2.attention.self.value.bias",
            "encoder.layer.2.output.LayerNorm.weight", "encoder.layer.2.output.LayerNorm.bias",
        }), "the anonymous MatMul weights belong to the layer of the bias added to their product");
        Assert.That(layers.After, Is.EqualTo(new[] { "classifier.weight" }), "the embedding feeds the layers; the pooler is not used by the output");
        Assert.That(layers.Top(1), Is.EquivalentTo(layers.Layers[2].Append("classifier.weight")));
        Assert.That(layers.Top(0), Is.EqualTo(new[] { "classifier.weight" }));
        var e = Assert.Throws<BszoException>(() => layers.Top(4));
        Assert.That(e!.Message, Does.Contain("from 0 to 3"));
    }

    [Test]
    public void A_graph_without_layer_names_or_with_two_stacks_is_refused_with_the_names_it_looks_for()
    {
        using var temp = new TempDirectory();
        var mlp = OnnxModelFile.Load(TestModels.Mlp(temp["mlp"])).Graph;
        var e = Assert.Throws<BszoException>(() => TransformerLayers.Find(mlp, ["logits"], "mlp.onnx"));
        Assert.That(e!.Message, Does.Contain("Cannot find the transformer layers of 'mlp.onnx'").And.Contain("'layers.3'").And.Contain("--trainable"));

        var twoStacks = AnonymousEncoder(2);
        var decoder = AnonymousEncoder(2, "decoder.layer");
        foreach (var t in decoder.Initializer.Where(t => t.Name.StartsWith("decoder", StringComparison.Ordinal))) twoStacks.Initializer.Add(t);
        e = Assert.Throws<BszoException>(() => TransformerLayers.Find(twoStacks, ["logits"], "seq2seq.onnx"));
        Assert.That(e!.Message, Does.Contain("several stacks").And.Contain("'encoder.layer'").And.Contain("'decoder.layer'"));
    }

    [Test]
    public void Lora_targets_match_anonymous_weights_by_the_names_of_their_biases()
    {
        var graph = AnonymousEncoder(2);
        var adapters = LoraInsertion.Insert(graph, new LoraOptions { Rank = 2, Targets = LoraOptions.QueryValueTargets });
        Assert.That(adapters.Select(a => a.Weight), Is.EqualTo(new[] { "900", "901", "902", "903" }), "query and value of both layers");

        var top = LoraInsertion.Insert(AnonymousEncoder(2), new LoraOptions { Rank = 2, Targets = LoraOptions.QueryValueTargets },
            within: new HashSet<string>(TransformerLayers.Find(AnonymousEncoder(2), ["logits"], "m").Layers[1]));
        Assert.That(top.Select(a => a.Weight), Is.EqualTo(new[] { "902", "903" }), "only the layers chosen to train");
    }
}
