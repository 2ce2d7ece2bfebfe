using System.Text.Json;
using Bszo.Models.Adapters;
using Bszo.Models.Tokenizers;
using Bszo.Onnx;
using Bszo.Ort.Graph;
using Bszo.Tests.Support;

namespace Bszo.Tests.Export;

/// <summary>tools/export on tiny random checkpoints of every family: ONNX Runtime against torch, tokenizers against references.</summary>
public class HfExportTests
{
    private static readonly string[] Families = ExportFixtures.Families;

    [TestCaseSource(nameof(Families))]
    public void Onnx_runtime_logits_match_the_torch_reference(string family)
    {
        var dir = ExportFixtures.Model(family);
        var reference = ReferenceLogits.Load(dir);
        var logits = reference.RunOnnx(Path.Combine(dir, "model.onnx"));
        Assert.That(logits, Has.Length.EqualTo(reference.Logits.Length));
        float worst = logits.Zip(reference.Logits, (a, b) => MathF.Abs(a - b)).Max();
        Assert.That(worst, Is.LessThan(1e-4f), $"max |ORT − torch| for {family}");
    }

    [TestCaseSource(nameof(Families))]
    public void Tokenizer_created_from_the_card_gives_the_reference_ids(string family)
    {
        var tokenizer = CardTokenizer.Create(ModelCard.Load(ExportFixtures.Model(family)));
        var (texts, ids) = ExportFixtures.ExpectedTokens(family);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.That(tokenizer.Encode(texts[i]), Is.EqualTo(ids[i]), $"{family}: '{texts[i]}'");
        }
    }

    [TestCaseSource(nameof(Families))]
    public void Every_weight_is_external_data_in_one_file_under_its_hugging_face_name(string family)
    {
        var dir = ExportFixtures.Model(family);
        var model = OnnxModelFile.Load(Path.Combine(dir, "model.onnx"));
        var weights = model.Graph.Initializer.Where(t => OnnxDataType.IsTrainable(t.DataType)).ToList();
        Assert.That(weights, Is.Not.Empty);
        foreach (var t in weights)
        {
            Assert.That(t.DataLocation, Is.EqualTo(TensorProto.Types.DataLocation.External), t.Name);
            Assert.That(t.ExternalData.Single(e => e.Key == "location").Value, Is.EqualTo("model.onnx.data"), t.Name);
        }
        var checkpointNames = SafetensorsNames(ExportFixtures.Checkpoint(family));
        if (checkpointNames is not null) Assert.That(weights.Select(t => t.Name), Is.SubsetOf(checkpointNames));
        Assert.That(model.OpsetImport.Single(o => o.Domain == "").Version, Is.EqualTo(17));
        var input = model.Graph.Input.Single(i => i.Name == "input_ids").Type.TensorType.Shape.Dim;
        Assert.That(input.Select(d => d.DimParam), Is.EqualTo(new[] { "batch", "sequence" }), "dynamic batch and sequence axes");
    }

    [TestCase("gpt2", "transformer.wte.weight")]
    [TestCase("opt", "model.decoder.embed_tokens.weight")]
    [TestCase("qwen2", "model.embed_tokens.weight")]
    public void A_tied_embedding_is_one_tensor_read_by_the_lookup_and_the_lm_head(string family, string embedding)
    {
        var graph = OnnxModelFile.Load(Path.Combine(ExportFixtures.Model(family), "model.onnx")).Graph;
        Assert.That(graph.Initializer.Count(t => t.Name == embedding), Is.EqualTo(1));
        Assert.That(graph.Initializer.Any(t => t.Name == "lm_head.weight"), Is.False, "the LM head must not get its own copy");
        var readers = graph.Node.Where(n => n.Input.Contains(embedding)).Select(n => n.OpType).ToList();
        Assert.That(readers, Does.Contain("Gather"));
        Assert.That(readers, Has.Count.GreaterThanOrEqualTo(2), "embedding lookup and LM head");
    }

    [Test]
    public void An_untied_llama_head_keeps_its_own_tensor()
    {
        var graph = OnnxModelFile.Load(Path.Combine(ExportFixtures.Model("llama"), "model.onnx")).Graph;
        Assert.That(graph.Initializer.Select(t => t.Name), Does.Contain("lm_head.weight").And.Contain("model.embed_tokens.weight"));
    }

    [Test]
    public void Cards_describe_kind_inputs_labels_and_special_tokens()
    {
        var gpt2 = ModelCard.Load(ExportFixtures.Model("gpt2"));
        Assert.That((gpt2.Kind, gpt2.Family, gpt2.MaxLength), Is.EqualTo(("decoder-lm", "gpt2", 64)));
        Assert.That(gpt2.Inputs.Keys, Is.EquivalentTo(new[] { "input_ids", "attention_mask", "position_ids" }));
        Assert.That((gpt2.Tokenizer!.Type, gpt2.Tokenizer.BosId, gpt2.Tokenizer.EosId), Is.EqualTo(("bpe", (int?)null, (int?)50256)));

        var opt = ModelCard.Load(ExportFixtures.Model("opt"));
        Assert.That(opt.Inputs.Keys, Is.EquivalentTo(new[] { "input_ids", "attention_mask" }), "OPT derives positions from the mask");

        var llama = ModelCard.Load(ExportFixtures.Model("llama"));
        Assert.That((llama.Tokenizer!.Type, llama.Tokenizer.BosId), Is.EqualTo(("sentencepiece", (int?)1)));

        var bert = ModelCard.Load(ExportFixtures.Model("bert"));
        Assert.That((bert.Kind, bert.Tokenizer!.Type), Is.EqualTo(("encoder-classifier", "wordpiece")));
        Assert.That(bert.Labels, Is.EqualTo(new[] { "negative", "positive" }));
        Assert.That(ModelCard.Load(ExportFixtures.Model("roberta")).Labels, Is.EqualTo(new[] { "negative", "neutral", "positive" }));
    }

    [TestCase("unknown_family", "model_type 't5'", "gpt2 (GPT2LMHeadModel)")]
    [TestCase("vocabulary_mismatch", "does not match the model's embedding table", "50261 ids")]
    [TestCase("missing_tokenizer", "has no tokenizer files", "vocab.json + merges.txt")]
    [TestCase("integer_weights", "torch.int8", "float32, float16, bfloat16")]
    public void Broken_checkpoints_are_rejected_with_what_was_found_and_what_is_supported(string broken, string what, string detail)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ExportFixtures.Directory, "errors.json")));
        var message = doc.RootElement.GetProperty(broken).GetString();
        Assert.That(message, Is.Not.Null, $"exporting the '{broken}' checkpoint must fail");
        Assert.That(message, Does.Contain(what).And.Contain(detail).And.Contain("expected:").And.Contain("found:"));
    }

    /// <summary>Tensor names in a checkpoint's model.safetensors (null for pytorch_model.bin checkpoints).</summary>
    private static HashSet<string>? SafetensorsNames(string checkpoint)
    {
        var path = Path.Combine(checkpoint, "model.safetensors");
        if (!File.Exists(path)) return null;
        using var file = File.OpenRead(path);
        var lengthBytes = new byte[8];
        file.ReadExactly(lengthBytes);
        var header = new byte[BitConverter.ToInt64(lengthBytes)];
        file.ReadExactly(header);
        using var doc = JsonDocument.Parse(header);
        return doc.RootElement.EnumerateObject().Select(p => p.Name).Where(n => n != "__metadata__").ToHashSet();
    }
}
