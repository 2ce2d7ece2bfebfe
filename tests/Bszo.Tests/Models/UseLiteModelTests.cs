using System.Diagnostics;
using Bszo.Models.Adapters;
using Bszo.Models.UseLite;
using Bszo.Onnx;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Tests.Models;

/// <summary>The converted model directory, its card, its graph and the adapter on top of it.</summary>
public class UseLiteModelTests
{
    private static UseLiteTestModel Model => UseLiteTestModel.Instance;

    [Test]
    public void Card_describes_a_converted_encoder_classifier()
    {
        var card = Model.Card;
        Assert.Multiple(() =>
        {
            Assert.That(card.Kind, Is.EqualTo("encoder-classifier"));
            Assert.That(card.Family, Is.EqualTo("use-lite"));
            Assert.That(card.Description, Does.Contain("Universal Sentence Encoder Lite").And.Contain("Apache-2.0").And.Contain("converted"));
            Assert.That(card.Tokenizer!.Type, Is.EqualTo("unigram"));
            Assert.That(File.Exists(card.Resolve(card.Tokenizer.Files["vocab"])));
            Assert.That(card.Labels, Is.EqualTo(new[] { "negative", "positive" }));
            Assert.That(card.MaxLength, Is.EqualTo(128));
            Assert.That(card.Inputs.Values, Is.EquivalentTo(new[] { "input_ids", "attention_mask" }));
            Assert.That(card.Outputs["logits"], Is.EqualTo("logits"));
            Assert.That(card.Outputs["embedding"], Is.EqualTo("embedding"));
            Assert.That(File.Exists(Path.Combine(Model.Directory, "LICENSE")), "the package's Apache-2.0 licence travels with the weights");
        });
    }

    [Test]
    public void Onnx_model_is_opset_17_with_every_weight_in_one_external_file()
    {
        var model = OnnxModelFile.Load(Model.Card.Resolve(Model.Card.Model));
        Assert.That(model.IrVersion, Is.EqualTo(8));
        Assert.That(model.OpsetImport.Single(o => o.Domain == "").Version, Is.EqualTo(17));
        var floats = model.Graph.Initializer.Where(t => t.DataType == OnnxDataType.Float && t.Dims.Aggregate(1L, (a, b) => a * b) >= 2).ToList();
        Assert.That(floats, Has.Count.EqualTo(31));
        Assert.That(model.Graph.Initializer.Where(t => t.DataType == OnnxDataType.Float && t.DataLocation == TensorProto.Types.DataLocation.Default),
            Has.All.Property("Dims").Count.EqualTo(0), "only scalar constants stay inline");
        Assert.That(floats.All(t => t.DataLocation == TensorProto.Types.DataLocation.External && t.ExternalData.Single(e => e.Key == "location").Value == "model.onnx.data"));
        long elements = floats.Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));
        Assert.That(elements, Is.EqualTo(6_975_744 + 2 * 512 + 2), "the 6,975,744 pretrained weights and the 2×512+2 head");
        Assert.That(model.Graph.Input.Select(i => i.Name), Is.EqualTo(new[] { "input_ids", "attention_mask" }));
        Assert.That(model.Graph.Output.Select(o => o.Name), Is.EqualTo(new[] { "embedding", "logits" }));
    }

    [Test]
    public void Every_float_tensor_is_trainable_and_the_count_is_reported()
    {
        var manifest = Model.Prepared.Manifest;
        TestContext.Out.WriteLine($"trainable parameters: {manifest.ElementCount:N0} in {manifest.Tensors.Count} tensors " +
                                  $"(conversion and caching took {Model.ConversionSeconds:F1} s)");
        Assert.That(manifest.ElementCount, Is.EqualTo(6_976_770));
        Assert.That(manifest.Tensors.Select(t => t.Name), Does.Contain("embeddings.weight").And.Contain("head.weight").And.Contain("layer1.ffn.down.weight"));
    }

    [Test]
    public void Architecture_is_read_from_the_tensorflow_js_graph()
    {
        var graph = TfjsGraphModel.Load(Path.Combine(UseLiteTestModel.PackageDist, "model.json"));
        var arch = UseLiteConverter.Read(graph, "model.json");
        Assert.Multiple(() =>
        {
            Assert.That(arch.Layers, Has.Count.EqualTo(2));
            Assert.That(arch.Layers.Select(l => (l.InputWidth, l.Width)), Is.EqualTo(new[] { (256, 512), (512, 512) }));
            Assert.That(arch.Layers[0].Residual, Is.Not.Null, "layer 0 projects its residual to the new width");
            Assert.That(arch.Layers[1].Residual, Is.Null);
            Assert.That(arch.Heads, Is.EqualTo(4));
            Assert.That(arch.MaxLength, Is.EqualTo(128));
            Assert.That(arch.LayerNormEpsilon, Is.EqualTo(1e-6f));
            Assert.That(arch.MaskBias, Is.EqualTo(-1e9f));
            Assert.That(arch.L2Epsilon, Is.EqualTo(1e-12f));
            Assert.That(arch.Embeddings.Shape, Is.EqualTo(new[] { 8002, 256 }));
        });
    }

    [Test]
    public void Create_returns_the_cached_model_at_once_and_leaves_no_partial_directory()
    {
        var again = Stopwatch.StartNew();
        var directory = UseLiteModel.Create(Model.Options);
        again.Stop();
        Assert.That(directory, Is.EqualTo(Model.Directory));
        Assert.That(again.Elapsed.TotalSeconds, Is.LessThan(1));
        Assert.That(Directory.GetDirectories(Model.CacheDirectory), Has.Length.EqualTo(1), "the temporary build directory was renamed into place");
        Assert.That(Path.GetFileName(directory), Does.StartWith("use-lite-"));
    }

    [Test]
    public void The_cache_key_depends_on_the_prompts_and_the_scale()
    {
        var defaults = new UseLiteOptions();
        var key = UseLiteModel.CacheKey(defaults);
        Assert.That(UseLiteModel.CacheKey(new UseLiteOptions { CacheDirectory = "/elsewhere" }), Is.EqualTo(key), "the location is not part of the key");
        Assert.That(UseLiteModel.CacheKey(defaults with { LogitScale = 10 }), Is.Not.EqualTo(key));
        Assert.That(UseLiteModel.CacheKey(defaults with { Labels = [new("bad", ["It was bad."]), new("good", ["It was good."])] }), Is.Not.EqualTo(key));
    }

    [Test]
    public void Rejects_a_head_with_fewer_than_two_labels()
    {
        var options = new UseLiteOptions { Labels = [new("only", ["It was."])] };
        Assert.Throws<Bszo.Ort.BszoException>(() => UseLiteConverter.Convert(UseLiteTestModel.PackageDist, Model.Temp["never"], options));
    }

    [Test]
    public void Zero_shot_logits_are_scaled_cosine_similarities_to_the_prompts()
    {
        var prompts = Model.Options.Labels.Select(l => l.Prompts.Single()).ToList();
        var logits = Model.Run(prompts, "logits");
        var embeddings = Model.Run(prompts, "embedding");
        double cosine = embeddings[0].Zip(embeddings[1], (a, b) => (double)a * b).Sum();
        float scale = Model.Options.LogitScale;
        Assert.That(logits[0][0], Is.EqualTo(scale).Within(1e-3));
        Assert.That(logits[1][1], Is.EqualTo(scale).Within(1e-3));
        Assert.That(logits[0][1], Is.EqualTo(scale * cosine).Within(1e-3));
        Assert.That(embeddings.Select(e => Math.Sqrt(e.Sum(v => (double)v * v))), Is.All.EqualTo(1).Within(1e-5));
    }

    [Test]
    public void Padding_and_the_ids_under_it_do_not_change_an_embedding()
    {
        var text = "a short one";
        var alone = Model.Run([text], "embedding")[0];
        var padded = Model.Run([text, "a much longer sentence that forces the first one to be padded with many positions"], "embedding")[0];
        Assert.That(padded, Is.EqualTo(alone).Within(1e-5));

        // Garbage ids at masked positions: the mask alone decides what the model sees.
        var ids = Model.Adapter.Encode(text);
        int width = ids.Length + 7;
        var inputIds = new long[width];
        var mask = new long[width];
        for (int j = 0; j < width; j++)
        {
            inputIds[j] = j < ids.Length ? ids[j] : 1000 + j;
            mask[j] = j < ids.Length ? 1 : 0;
        }
        using var batch = new TensorBatch(1).Add("input_ids", inputIds, 1, width).Add("attention_mask", mask, 1, width).Add("labels", new long[1], 1);
        var (garbage, _) = Model.Session.Run(batch, "embedding");
        Assert.That(garbage, Is.EqualTo(alone).Within(1e-5));
    }

    [Test]
    public void Positions_beyond_the_maximum_length_are_dropped_as_in_the_original()
    {
        var ids = Enumerable.Range(0, 200).Select(i => (long)(100 + i % 50)).ToArray();
        var mask = Enumerable.Repeat(1L, 200).ToArray();
        using var full = new TensorBatch(1).Add("input_ids", ids, 1, 200).Add("attention_mask", mask, 1, 200).Add("labels", new long[1], 1);
        using var clipped = new TensorBatch(1).Add("input_ids", ids[..128], 1, 128).Add("attention_mask", mask[..128], 1, 128).Add("labels", new long[1], 1);
        Assert.That(Model.Session.Run(full, "embedding").Data, Is.EqualTo(Model.Session.Run(clipped, "embedding").Data).Within(1e-6));
    }

    [Test]
    public void An_empty_text_embeds_as_the_normalised_tanh_of_the_bias()
    {
        // No tokens: the pooled vector is 0 (sum 0 / max(0, 1)), as in the original when the sentence sits inside a batch.
        var empty = Model.Run([""], "embedding")[0];
        Assert.That(empty.All(float.IsFinite));
        Assert.That(Math.Sqrt(empty.Sum(v => (double)v * v)), Is.EqualTo(1).Within(1e-5));
    }

    [Test]
    public void Forward_pass_time_for_a_batch_of_16_is_reported()
    {
        var texts = Enumerable.Range(0, 16).Select(i => $"sentence {i}: the film is a fairly ordinary drama with a few good scenes and a weak ending .").ToList();
        var examples = texts.Select((t, i) => new PromptedExample(t, Model.Card.Labels, i % 2)).ToList();
        using var batch = Model.Adapter.Collate(examples);
        var tokens = batch.Values.Single(v => v.Name == "attention_mask").Value.GetTensorDataAsSpan<long>().ToArray().Sum();
        Model.Session.Bind(batch);
        for (int i = 0; i < 3; i++) Model.Session.Loss();
        var times = new List<double>();
        for (int i = 0; i < 10; i++)
        {
            var w = Stopwatch.StartNew();
            Model.Session.Loss();
            times.Add(w.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        TestContext.Out.WriteLine($"forward pass (loss), batch 16 × {tokens / 16} tokens, {Math.Min(2, Environment.ProcessorCount)} threads: " +
                                  $"median {times[5]:F1} ms, min {times[0]:F1} ms wall");

        // CPU time of a one-thread session: what a pass costs without other processes competing for the cores.
        using var single = TrainingGraphSession.Create(Model.Prepared, Model.Store, new SessionSettings { IntraOpThreads = 1 });
        single.Bind(batch);
        for (int i = 0; i < 2; i++) single.Loss();
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (int i = 0; i < 10; i++) single.Loss();
        process.Refresh();
        TestContext.Out.WriteLine($"one thread: {(process.TotalProcessorTime - cpu).TotalMilliseconds / 10:F1} ms CPU, {wall.Elapsed.TotalMilliseconds / 10:F1} ms wall per pass");
        Assert.That(times[0], Is.LessThan(10_000));
    }
}

public class EncoderClassifierAdapterTests
{
    private static UseLiteTestModel Model => UseLiteTestModel.Instance;

    [Test]
    public void Model_adapters_create_it_for_an_encoder_classifier_card() =>
        Assert.That(ModelAdapters.Create(Model.Card), Is.InstanceOf<EncoderClassifierAdapter>().And.Property("Kind").EqualTo("encoder-classifier"));

    [Test]
    public void Collate_pads_to_the_longest_example_and_adds_the_labels()
    {
        var examples = new[]
        {
            new PromptedExample("It was great.", Model.Card.Labels, 1),
            new PromptedExample("Hello world! This one is longer.", Model.Card.Labels, 0),
            new PromptedExample("", Model.Card.Labels, 1),
        };
        using var batch = Model.Adapter.Collate(examples);
        var values = batch.Values.ToDictionary(v => v.Name, v => v.Value);
        Assert.That(values.Keys, Is.EquivalentTo(new[] { "input_ids", "attention_mask", "labels" }));
        var lengths = examples.Select(e => Model.Adapter.Encode(e.Prompt).Length).ToArray();
        int width = lengths.Max();
        Assert.That(values["input_ids"].GetTensorTypeAndShape().Shape, Is.EqualTo(new long[] { 3, width }));
        var ids = values["input_ids"].GetTensorDataAsSpan<long>().ToArray();
        var mask = values["attention_mask"].GetTensorDataAsSpan<long>().ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.That(mask.Skip(i * width).Take(width).Sum(), Is.EqualTo(lengths[i]));
            Assert.That(ids.Skip(i * width + lengths[i]).Take(width - lengths[i]), Is.All.EqualTo(0), "padding uses the pad id");
        }
        Assert.That(ids.Take(lengths[0]), Is.EqualTo(Model.Adapter.Encode("It was great.").Select(x => (long)x)));
        Assert.That(values["labels"].GetTensorDataAsSpan<long>().ToArray(), Is.EqualTo(new long[] { 1, 0, 1 }));
    }

    [Test]
    public void Collate_truncates_to_the_maximum_length()
    {
        var text = string.Join(" ", Enumerable.Repeat("word", 300));
        Assert.That(Model.Adapter.Encode(text), Has.Length.EqualTo(128));
        using var batch = Model.Adapter.Collate([new PromptedExample(text, Model.Card.Labels, 0)]);
        Assert.That(batch.Values.Single(v => v.Name == "input_ids").Value.GetTensorTypeAndShape().Shape, Is.EqualTo(new long[] { 1, 128 }));
    }

    [Test]
    public void A_batch_of_empty_texts_still_has_one_masked_position()
    {
        using var batch = Model.Adapter.Collate([new PromptedExample("", Model.Card.Labels, 0)]);
        var mask = batch.Values.Single(v => v.Name == "attention_mask").Value;
        Assert.That(mask.GetTensorTypeAndShape().Shape, Is.EqualTo(new long[] { 1, 1 }));
        Assert.That(mask.GetTensorDataAsSpan<long>().ToArray(), Is.EqualTo(new long[] { 0 }));
    }

    [Test]
    public void Collate_rejects_a_label_outside_the_classes()
    {
        var ex = Assert.Throws<Bszo.Ort.BszoException>(() => Model.Adapter.Collate([new PromptedExample("x", Model.Card.Labels, 2)]));
        Assert.That(ex!.Message, Does.Contain("negative, positive"));
    }

    [Test]
    public void Predict_is_the_argmax_of_the_logits_and_the_loss_head_is_their_cross_entropy()
    {
        var examples = new[]
        {
            new PromptedExample("a wonderful , moving film .", Model.Card.Labels, 1),
            new PromptedExample("a dull , lifeless mess .", Model.Card.Labels, 0),
            new PromptedExample("it was terrible .", Model.Card.Labels, 1),
        };
        var logits = Model.Run(examples.Select(e => e.Prompt).ToList(), "logits");
        var predicted = Model.Adapter.Predict(Model.Session, examples);
        Assert.That(predicted, Is.EqualTo(logits.Select(l => l[1] > l[0] ? 1 : 0)));
        Assert.That(predicted.Take(2), Is.EqualTo(new[] { 1, 0 }), "the zero-shot head gets the clear cases right");

        Assert.That(Model.Adapter.CreateLossHead(), Is.InstanceOf<ClassificationLossHead>());
        using var batch = Model.Adapter.Collate(examples);
        Model.Session.Bind(batch);
        double mean = Model.Session.Loss();
        double expected = examples.Select((e, i) =>
        {
            double max = logits[i].Max();
            double lse = max + Math.Log(logits[i].Sum(v => Math.Exp(v - max)));
            return lse - logits[i][e.Label];
        }).Average();
        Assert.That(mean, Is.EqualTo(expected).Within(1e-4));
    }
}
