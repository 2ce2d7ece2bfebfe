using System.Text.Json;
using Bszo.Models.Adapters;
using Bszo.Models.SentenceEncoders;
using Bszo.Models.Tasks;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

/// <summary>
/// Sentence encoders without a card (the tiny BERT body exported by tools/export as Hugging Face
/// lays out feature-extraction exports): what is inferred, and the pooling and heads Bszo attaches,
/// against embeddings torch computed for the same texts.
/// </summary>
public class SentenceEncoderTests
{
    private sealed record Reference(string[] Texts, int[][] Ids, Dictionary<string, float[][]> Embeddings);

    private static readonly Lazy<Reference> Expected = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Encoders, "reference.json")));
        var root = doc.RootElement;
        float[][] Rows(string key) => root.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        return new Reference(root.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray(),
            root.GetProperty("ids").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray(),
            new() { ["mean"] = Rows("mean"), ["cls"] = Rows("cls"), ["pooled"] = Rows("pooled") });
    });

    private static string Encoders => Path.Combine(ExportFixtures.Directory, "encoders");

    private static IReadOnlyList<ClassPrompt> Sst2Classes => ClassPrompt.From(TaskRegistry.Get("sst2"));

    [Test]
    public void A_bare_export_with_a_vocabulary_is_a_mean_pooled_sentence_encoder()
    {
        var card = ModelDirectory.Open(Path.Combine(Encoders, "bare"));
        Assert.That((card.Inferred, card.Kind, card.Pooling, card.Tokenizer!.Type), Is.EqualTo((true, SentenceClassifier.EncoderKind, "mean", "wordpiece")));
        Assert.That(card.Outputs, Is.EquivalentTo(new Dictionary<string, string> { ["hidden"] = "last_hidden_state", ["pooled"] = "pooler_output" }));
        Assert.That(card.Description, Does.Contain("read as token states").And.Contain("there is no config.json"));
    }

    [Test]
    public void Sentence_transformers_files_choose_the_pooling_and_a_wordpiece_tokenizer_json_is_read()
    {
        var card = ModelDirectory.Open(Path.Combine(Encoders, "st", "model.onnx"));
        Assert.That((card.Kind, card.Pooling, card.Family), Is.EqualTo((SentenceClassifier.EncoderKind, "cls", "bert")));
        Assert.That(card.Tokenizer!.Files, Is.EquivalentTo(new Dictionary<string, string> { ["tokenizer"] = "tokenizer.json" }));
        Assert.That(card.Description, Does.Contain("1_Pooling"));
        var tokenizer = Bszo.Models.Tokenizers.CardTokenizer.Create(card);
        var reference = Expected.Value;
        for (int i = 0; i < reference.Texts.Length; i++)
        {
            Assert.That(new[] { tokenizer.BosId!.Value }.Concat(tokenizer.Encode(reference.Texts[i])).Append(tokenizer.EosId!.Value), Is.EqualTo(reference.Ids[i]));
        }
    }

    [TestCase("bare", null, "mean")]
    [TestCase("st", null, "cls")]
    [TestCase("bare", "pooled", "pooled")]
    public void The_classifiers_embedding_is_the_pooled_and_normalised_torch_output(string layout, string? pooling, string expected)
    {
        using var temp = new TempDirectory();
        var classifier = Build(layout, new SentenceClassifierOptions { Classes = Sst2Classes, Pooling = pooling, CacheDirectory = temp.Path });
        var (embeddings, _) = Run(classifier, temp, Expected.Value.Texts);
        var reference = Expected.Value.Embeddings[expected];
        for (int i = 0; i < reference.Length; i++) Assert.That(embeddings[i], Is.EqualTo(reference[i]).Within(1e-5f), $"text {i}");
    }

    [Test]
    public void The_zero_shot_head_scores_scaled_cosine_similarity_with_the_class_prompts()
    {
        using var temp = new TempDirectory();
        var classes = Sst2Classes;
        Assert.That(classes.Select(c => (c.Name, c.Prompt)), Is.EqualTo(new[] { ("negative", "It was terrible."), ("positive", "It was great.") }));
        var classifier = Build("bare", new SentenceClassifierOptions { Classes = classes, LogitScale = 20, CacheDirectory = temp.Path });
        Assert.That((classifier.Kind, classifier.Labels), Is.EqualTo((GenericAdapter.KindName, new[] { "negative", "positive" })));
        Assert.That(classifier.Trainable, Is.EqualTo(new[] { "head.weight", "head.bias" }));
        var texts = Expected.Value.Texts;
        var (embeddings, logits) = Run(classifier, temp, [.. texts, .. classes.Select(c => c.Prompt)]);
        for (int i = 0; i < texts.Length; i++)
        {
            for (int c = 0; c < classes.Count; c++)
            {
                float cosine = embeddings[i].Zip(embeddings[texts.Length + c], (a, b) => a * b).Sum();
                Assert.That(logits[i][c], Is.EqualTo(20 * cosine).Within(1e-4f), $"text {i}, class {c}");
            }
        }
    }

    [Test]
    public void A_linear_head_starts_at_zero_and_a_cached_classifier_is_reused()
    {
        using var temp = new TempDirectory();
        var options = new SentenceClassifierOptions { Classes = Sst2Classes, Head = SentenceHead.Linear, CacheDirectory = temp.Path };
        var first = Build("bare", options);
        var (_, logits) = Run(first, temp, Expected.Value.Texts);
        Assert.That(logits.SelectMany(l => l), Is.All.EqualTo(0f));
        var again = Build("bare", options);
        Assert.That(again.Directory, Is.EqualTo(first.Directory));
        Assert.That(Directory.GetDirectories(temp.Path).Count(d => !d.EndsWith("prepared", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [Test]
    public void Pooled_pooling_without_a_pooled_output_and_unknown_pooling_modes_are_clear_errors()
    {
        using var temp = new TempDirectory();
        var source = Path.Combine(Encoders, "bare");
        var model = OnnxModelFile.Load(Path.Combine(source, "model.onnx"));
        model.Graph.Output.Remove(model.Graph.Output.Single(o => o.Name == "pooler_output"));
        Directory.CreateDirectory(temp["no-pooler"]);
        OnnxModelFile.Save(model, temp["no-pooler/model.onnx"]);
        foreach (var f in new[] { "model.onnx.data", "vocab.txt" }) File.Copy(Path.Combine(source, f), temp[$"no-pooler/{f}"]);
        var card = ModelDirectory.Open(temp["no-pooler"]);
        var e = Assert.Throws<BszoException>(() => SentenceClassifier.Build(card, new SentenceClassifierOptions { Classes = Sst2Classes, Pooling = "pooled", CacheDirectory = temp["cache"] }));
        Assert.That(e!.Message, Does.Contain("has none").And.Contain("--pooling mean"));

        File.WriteAllText(temp["no-pooler/modules.json"], """[{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]""");
        Directory.CreateDirectory(temp["no-pooler/1_Pooling"]);
        File.WriteAllText(temp["no-pooler/1_Pooling/config.json"], """{"pooling_mode_max_tokens": true}""");
        var max = Assert.Throws<BszoException>(() => ModelDirectory.Open(temp["no-pooler"]));
        Assert.That(max!.Message, Does.Contain("max_tokens").And.Contain("--pooling mean|cls|pooled").And.Contain("config.json"));
    }

    [Test]
    public void Head_and_pooling_options_on_a_model_that_is_no_sentence_encoder_are_refused()
    {
        var e = Assert.Throws<BszoException>(() => ModelResolver.Resolve(new ModelRequest { Model = ExportFixtures.Optimum("bert"), Head = SentenceHead.Linear }));
        Assert.That(e!.Message, Does.Contain("--head and --pooling apply to sentence encoders").And.Contain("'generic'"));
    }

    [Test]
    public void A_vocabulary_sized_last_dimension_marks_a_language_model_even_without_config_json()
    {
        using var temp = new TempDirectory();
        var source = ExportFixtures.Optimum("gpt2");
        foreach (var f in Directory.GetFiles(source).Where(f => Path.GetFileName(f) != "config.json")) File.Copy(f, temp[Path.GetFileName(f)]);
        var card = ModelDirectory.Open(temp.Path);
        Assert.That(card.Kind, Is.EqualTo(DecoderLmAdapter.KindName));
        Assert.That(card.Description, Does.Contain("vocabulary size"));
    }

    private static ModelCard Build(string layout, SentenceClassifierOptions options) =>
        SentenceClassifier.Build(ModelDirectory.Open(Path.Combine(Encoders, layout)), options);

    /// <summary>The classifier's embedding and logits rows for <paramref name="texts"/>, through its prepared training graph in one padded batch.</summary>
    private static (float[][] Embeddings, float[][] Logits) Run(ModelCard classifier, TempDirectory temp, IReadOnlyList<string> texts)
    {
        var adapter = ModelAdapters.Create(classifier);
        var prepared = TrainingModelBuilder.Prepare(classifier.Resolve(classifier.Model), temp["prepared"], new PrepareOptions { Loss = adapter.CreateLossHead() });
        using var store = WeightStore.Load(prepared);
        using var session = TrainingGraphSession.Create(prepared, store, new SessionSettings { IntraOpThreads = 1 });
        using var batch = adapter.Collate(texts.Select(t => new PromptedExample(t, ["negative", "positive"], 0)).ToList());
        var (embedding, shape) = session.Run(batch, "embedding");
        var (logits, _) = session.Run(batch, "logits");
        int width = (int)shape[1];
        return (texts.Select((_, i) => embedding.AsSpan(i * width, width).ToArray()).ToArray(), texts.Select((_, i) => logits.AsSpan(i * 2, 2).ToArray()).ToArray());
    }
}
