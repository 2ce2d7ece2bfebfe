using Bszo.Models.Adapters;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

/// <summary>
/// Decoders exported for incremental generation (past key/values in, present key/values out; or
/// Optimum's merged decoder with use_cache_branch) train through the card-less path: the cache is fed
/// empty and the no-cache branch runs, which computes what the plain export computes.
/// </summary>
public class CachedDecoderTests
{
    private static readonly PromptedExample[] Examples =
    [
        new("Hello world! The movie was", [" great", " terrible"], 0),
        new("it was terrible , really", [" bad", " good"], 0),
        new("The movie", [" was great", " was bad", " was"], 2),
    ];

    [TestCase("with-past", "model.onnx", 4)]
    [TestCase("merged", "decoder_model_merged.onnx", 5)]
    public void A_decoder_with_a_cache_scores_as_the_plain_export(string layout, string file, int cacheInputs)
    {
        using var temp = new TempDirectory();
        var card = ModelDirectory.Open(ExportFixtures.Cached(layout));
        Assert.That((card.Kind, card.Model), Is.EqualTo((DecoderLmAdapter.KindName, file)));
        Assert.That(card.Inputs.Keys, Is.EquivalentTo(new[] { "input_ids", "attention_mask", "position_ids" }), "the cache is no input a batch carries");
        Assert.That(card.Description, Does.Contain($"{cacheInputs} key/value-cache inputs").And.Contain("fed empty"));

        var (scores, manifest) = Score(card, temp["cached"]);
        Assert.That(manifest.EmptyCacheInputs, Has.Count.EqualTo(cacheInputs));
        Assert.That(manifest.EmptyCacheInputs, Does.Contain("past_key_values.1.value"));
        var (plain, _) = Score(ModelDirectory.Open(ExportFixtures.Optimum("gpt2")), temp["plain"]);
        for (int e = 0; e < Examples.Length; e++) Assert.That(scores[e], Is.EqualTo(plain[e]).Within(1e-5), $"example {e}");
    }

    [Test]
    public void An_empty_past_has_the_declared_heads_and_head_size_and_no_positions()
    {
        var graph = OnnxModelFile.Load(Path.Combine(ExportFixtures.Cached("with-past"), "model.onnx")).Graph;
        var key = graph.Input.Single(i => i.Name == "past_key_values.0.key");
        Assert.That(CacheInputs.EmptyShape(key, 3), Is.EqualTo(new long[] { 3, 4, 0, 8 }));
        Assert.That(CacheInputs.IsCacheInput("input_ids"), Is.False);

        var broken = key.Clone();
        broken.Type.TensorType.Shape.Dim[1].DimParam = "heads";
        var e = Assert.Throws<BszoException>(() => CacheInputs.EmptyShape(broken, 3));
        Assert.That(e!.Message, Does.Contain("'past_key_values.0.key' has 2 symbolic axes").And.Contain("[batch, heads, past_sequence, 8]"));
    }

    private static (double[][] Scores, WeightManifest Manifest) Score(ModelCard card, string directory)
    {
        var adapter = DecoderLmAdapter.Create(card);
        var prepared = TrainingModelBuilder.Prepare(card.Resolve(card.Model), directory, new PrepareOptions { Loss = adapter.CreateLossHead() });
        using var store = WeightStore.Load(prepared);
        using var session = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = 1 });
        return (adapter.Score(session, Examples), prepared.Manifest);
    }
}
