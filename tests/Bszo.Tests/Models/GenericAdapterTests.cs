using Bszo.Models.Adapters;
using Bszo.Models.Tokenizers;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

/// <summary>Optimum-style directories (model.onnx + model.onnx_data, config.json, tokenizer files, no card) through the generic path.</summary>
public class GenericAdapterTests
{
    private static readonly PromptedExample[] Examples =
    [
        new("hello world ! the movie was great .", ["negative", "positive"], 1),
        new("it was terrible , really bad", ["negative", "positive"], 0),
    ];

    [Test]
    public void An_optimum_classifier_directory_gets_an_inferred_generic_card()
    {
        var card = ModelDirectory.Open(ExportFixtures.Optimum("bert"));
        Assert.That(File.Exists(Path.Combine(card.Directory, ModelCard.FileName)), Is.False);
        Assert.That((card.Kind, card.Family, card.Model), Is.EqualTo(("generic", "bert", "model.onnx")));
        Assert.That(card.Labels, Is.EqualTo(new[] { "negative", "positive" }));
        Assert.That(card.Outputs, Is.EquivalentTo(new Dictionary<string, string> { ["logits"] = "logits" }));
        Assert.That(card.Tokenizer!.Type, Is.EqualTo("wordpiece"));
        Assert.That(ModelAdapters.Create(card), Is.TypeOf<GenericAdapter>());
    }

    [Test]
    public void The_generic_adapter_collates_trains_and_predicts_like_the_reference_model()
    {
        using var temp = new TempDirectory();
        var card = ModelDirectory.Open(ExportFixtures.Optimum("bert"));
        var adapter = GenericAdapter.Create(card);
        var (_, expectedIds) = ExportFixtures.ExpectedTokens("bert");
        using var batch = adapter.Collate(Examples);
        var ids = batch.Values.Single(v => v.Name == "input_ids").Value.GetTensorDataAsSpan<long>().ToArray();
        int seq = ids.Length / Examples.Length;
        int cls = adapter.Tokenizer.BosId!.Value, sep = adapter.Tokenizer.EosId!.Value;
        Assert.That(ids.Skip(seq).Take(expectedIds[1].Length + 2), Is.EqualTo(new[] { cls }.Concat(expectedIds[1]).Append(sep).Select(i => (long)i)),
            "[CLS] text [SEP]");

        var prepared = TrainingModelBuilder.Prepare(card.Resolve(card.Model), temp["prepared"], new PrepareOptions { Loss = adapter.CreateLossHead() });
        using var store = WeightStore.Load(prepared);
        using var session = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = 1 });
        var (logits, shape) = session.Run(batch, "logits");
        Assert.That(shape, Is.EqualTo(new long[] { 2, 2 }));
        session.Bind(batch);
        session.Loss();
        for (int e = 0; e < Examples.Length; e++)
        {
            var row = logits.AsSpan(e * 2, 2).ToArray();
            double lse = Math.Log(Math.Exp(row[0]) + Math.Exp(row[1]));
            Assert.That(session.ExampleLosses[e], Is.EqualTo(lse - row[Examples[e].Label]).Within(1e-5));
        }
        Assert.That(adapter.Predict(session, Examples), Is.EqualTo(Enumerable.Range(0, 2).Select(e => logits[e * 2 + 1] > logits[e * 2] ? 1 : 0)));
    }

    [Test]
    public void The_optimum_weights_match_the_torch_reference()
    {
        var dir = ExportFixtures.Optimum("bert");
        var reference = ReferenceLogits.Load(dir);
        Assert.That(reference.RunOnnx(Path.Combine(dir, "model.onnx")), Is.EqualTo(reference.Logits).Within(1e-4f));
    }

    [Test]
    public void An_optimum_decoder_with_only_tokenizer_json_is_inferred_as_a_decoder()
    {
        var card = ModelDirectory.Open(ExportFixtures.Optimum("gpt2"));
        Assert.That((card.Kind, card.Family), Is.EqualTo(("decoder-lm", "gpt2")));
        Assert.That(card.Tokenizer!.Files.Keys, Is.EqualTo(new[] { "tokenizer" }));
        Assert.That(card.Inputs.Keys, Is.EquivalentTo(new[] { "input_ids", "attention_mask", "position_ids" }));
        var tokenizer = CardTokenizer.Create(card);
        var (texts, ids) = ExportFixtures.ExpectedTokens("gpt2");
        Assert.That(tokenizer.Encode(texts[0]), Is.EqualTo(ids[0]));
        Assert.That(tokenizer.BosId, Is.Null, "GPT-2 prepends nothing");
        Assert.That(ModelAdapters.Create(card), Is.TypeOf<DecoderLmAdapter>());
        var reference = ReferenceLogits.Load(card.Directory);
        Assert.That(reference.RunOnnx(card.Resolve(card.Model)), Is.EqualTo(reference.Logits).Within(1e-4f));
    }

    [Test]
    public void A_directory_without_tokenizer_files_is_rejected_with_the_files_it_has()
    {
        using var temp = new TempDirectory();
        var source = ExportFixtures.Optimum("bert");
        foreach (var name in new[] { "model.onnx", "model.onnx_data", "config.json" }) File.Copy(Path.Combine(source, name), temp[name]);
        var e = Assert.Throws<BszoException>(() => ModelDirectory.Open(temp.Path));
        Assert.That(e!.Message, Does.Contain("no tokenizer files").And.Contain("vocab.txt").And.Contain("model.onnx_data"));
    }
}
