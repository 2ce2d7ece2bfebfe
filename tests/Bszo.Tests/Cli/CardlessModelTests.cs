using System.Text.Json.Nodes;
using Bszo.Models.Adapters;
using Bszo.Onnx;
using Bszo.Ort.Graph;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cli;

/// <summary>Model directories without a card through every command: the card is inferred, printed, saved with the run, and the export is the source graph plus what Bszo attached.</summary>
public class CardlessModelTests
{
    private static readonly string[] Words = ["the movie was great", "it was terrible", "really bad", "hello world", "it was really great", "the movie was bad"];

    [Test]
    public void A_bare_sentence_encoder_fine_tunes_evaluates_and_exports_without_a_card()
    {
        using var temp = new TempDirectory();
        using var home = new EnvironmentVariable("BSZO_HOME", temp["home"]); // the built classifier goes to a cache of its own
        var model = Path.Combine(ExportFixtures.Directory, "encoders", "bare");
        var data = WriteReviews(temp["reviews.csv"], 160);
        string[] task = ["--task", "sst2", "--data", data, "--num-train", "80", "--num-dev", "40", "--num-test", "40"];

        var list = CliRunner.Run(["prepare", "--model", Path.Combine(model, "model.onnx"), "--list", .. task]);
        Assert.That(list.ExitCode, Is.Zero, list.ToString());
        Assert.That(list.Error, Does.Contain("inferred by Bszo from model.onnx").And.Contain("kind sentence-encoder").And.Contain("tokenizer wordpiece (vocab.txt)"));
        Assert.That(list.Error, Does.Contain("zero-shot head from the embeddings of negative: \"It was terrible.\" | positive: \"It was great.\""));
        Assert.That(list.Error, Does.Contain("max length 64"), "from the position-embedding table, without config.json");
        Assert.That(list.Output, Does.Contain("head.weight").And.Contain("embeddings.word_embeddings.weight"));

        var train = CliRunner.Run(["finetune", "--model", model, .. task, "--steps", "30", "--learning-rate", "0.1", "--threads", "1", "--no-plots", "--out", temp["run"]]);
        Assert.That(train.ExitCode, Is.Zero, train.ToString());
        Assert.That(train.Error, Does.Contain("classifier: ").And.Contain("trains head.weight, head.bias by default"));
        var saved = ModelCard.LoadResolved(temp["run/prepared"])!;
        Assert.That((saved.Kind, saved.Trainable), Is.EqualTo((GenericAdapter.KindName, new[] { "head.weight", "head.bias" })));
        Assert.That(saved.Description, Does.Contain("inferred by Bszo"));
        Assert.That(JsonNode.Parse(File.ReadAllText(temp["run/config.json"]))!["resolved"]!["model_card"]!.GetValue<string>(), Is.EqualTo(temp["run/prepared/model-card.json"]));

        var eval = CliRunner.Run(["eval", "--run", temp["run"], "--json"]);
        Assert.That(eval.ExitCode, Is.Zero, eval.ToString());

        var export = CliRunner.Run(["export", "--run", temp["run"], "--out", temp["deploy"]]);
        Assert.That(export.ExitCode, Is.Zero, export.ToString());
        Assert.That(Directory.GetFiles(temp["deploy"]).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { "model.onnx", "model.onnx.data", "vocab.txt", "bszo-model.json", "bszo-export.json", "bszo-checksums.json" }));
        var source = OnnxModelFile.Load(Path.Combine(model, "model.onnx")).Graph;
        var exported = OnnxModelFile.Load(temp["deploy/model.onnx"]).Graph;
        Assert.That(exported.Node.Take(source.Node.Count), Is.EqualTo(source.Node), "the encoder's nodes unchanged, the pooling and head after them");
        Assert.That(exported.Output.Select(o => o.Name), Is.EqualTo(new[] { "logits", "embedding" }));

        // The export scores what the run's best weights score, and onnxruntime-node loads it as a deployment would.
        var evalExport = CliRunner.Run(["eval", "--model", temp["deploy"], .. task, "--json"]);
        Assert.That(evalExport.ExitCode, Is.Zero, evalExport.ToString());
        Assert.That(JsonNode.Parse(evalExport.Output)!["test_accuracy"]!.GetValue<double>(), Is.EqualTo(JsonNode.Parse(eval.Output)!["test_accuracy"]!.GetValue<double>()));
        var ids = new double[] { 2, 70, 71, 57, 62, 63, 64, 65, 58, 3 };
        var outputs = IndependentRuntime.Run(temp["deploy/model.onnx"], new Dictionary<string, NodeTensor>
        {
            ["input_ids"] = new("int64", [1, ids.Length], ids),
            ["attention_mask"] = new("int64", [1, ids.Length], [.. ids.Select(_ => 1.0)]),
            ["token_type_ids"] = new("int64", [1, ids.Length], new double[ids.Length]),
        });
        Assert.That(outputs["logits"].Dims, Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(outputs["embedding"].Data.Sum(v => v * v), Is.EqualTo(1).Within(1e-5), "a unit-length sentence embedding");
    }

    [Test]
    public void A_path_that_is_neither_a_model_name_nor_a_file_names_the_choices()
    {
        var result = CliRunner.Run(["prepare", "--model", "no-such-model", "--list"]);
        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.Error, Does.Contain("neither a model name nor an existing directory or .onnx file").And.Contain("use-lite, minilm"));
        Assert.That(result.Error, Does.Not.Contain("   at "), "no stack trace for a user mistake");
    }

    private static string WriteReviews(string path, int rows)
    {
        var random = new Random(4);
        var lines = new List<string> { "sentence,label" };
        for (int i = 0; i < rows; i++)
        {
            var text = Words[random.Next(Words.Length)];
            lines.Add($"{text},{(text.Contains("great", StringComparison.Ordinal) ? 1 : 0)}");
        }
        File.WriteAllLines(path, lines);
        return path;
    }
}
