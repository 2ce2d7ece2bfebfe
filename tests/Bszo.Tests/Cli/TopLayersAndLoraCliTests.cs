using System.Runtime.InteropServices;
using Bszo.Ort.Graph;
using Bszo.Tests.Models;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cli;

/// <summary>`--train-top-layers` and `--lora` on the real encoder, from the command line to the exported model.</summary>
public class TopLayersAndLoraCliTests
{
    [Test]
    public void Lora_on_the_top_layer_trains_over_cached_rows_and_exports_merged_weights_that_match_the_training_graph()
    {
        using var temp = new TempDirectory();
        var model = UseLiteTestModel.Instance.Directory;
        var data = MovieSentences.WriteCsv(temp["sentences.csv"], 120, seed: 5);
        var run = CliRunner.Run(
        [
            "finetune", "--model", model, "--train-top-layers", "1", "--lora", "4", "--task", "sst2", "--data", data,
            "--num-train", "64", "--num-dev", "24", "--num-test", "24", "--steps", "30", "--eval-every", "10", "--optimizer", "mezo",
            "--learning-rate", "0.05", "--epsilon", "1e-2", "--threads", "1", "--no-plots", "--out", temp["run"],
        ]);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("frozen-prefix cache: ready"), "adapters only in the top layer leave the rest frozen");

        // Adapters on the query and value thirds of the top layer's fused projection; the pooler and head train directly.
        var manifest = PreparedModel.Open(temp["run/prepared"]).Manifest;
        var adapter = manifest.Lora.Single();
        Assert.That(adapter.Weight, Is.EqualTo("layer1.attention.qkv.weight"));
        Assert.That(adapter.Columns, Is.EqualTo(new[] { new LoraColumns(0, 512), new LoraColumns(1024, 512) }));
        Assert.That(manifest.Tensors.Select(t => t.Name), Is.EquivalentTo(new[]
        {
            "layer1.attention.qkv.weight.lora_A", "layer1.attention.qkv.weight.lora_B", "pooler.weight", "pooler.bias", "head.weight", "head.bias",
        }));

        // The saved arguments name the same adapters: resuming reuses the prepared model rather than refusing it.
        var resume = CliRunner.Run(["finetune", "--out", temp["run"], "--resume", "--quiet"]);
        Assert.That(resume.ExitCode, Is.Zero, resume.ToString());

        var export = CliRunner.Run(["export", "--run", temp["run"], "--weights", "final", "--out", temp["deploy"]]);
        Assert.That(export.ExitCode, Is.Zero, export.ToString());
        Assert.That(export.Output, Does.Contain("verified: output 'logits' matches the training graph"));

        // The merged weight: query and value columns moved, key columns exactly as before.
        var original = Weight(Path.Combine(model, "model.onnx"), "layer1.attention.qkv.weight");
        var merged = Weight(temp["deploy/model.onnx"], "layer1.attention.qkv.weight");
        bool Changed(int from, int to) => Enumerable.Range(0, 512).Any(row => Enumerable.Range(from, to - from).Any(c => merged[row * 1536 + c] != original[row * 1536 + c]));
        Assert.That(Changed(0, 512) && Changed(1024, 1536), "query and value blocks trained");
        Assert.That(Changed(512, 1024), Is.False, "keys untouched");
    }

    [Test]
    public void Layer_options_that_do_not_fit_the_model_fail_with_a_clear_message()
    {
        using var temp = new TempDirectory();
        var useLite = UseLiteTestModel.Instance.Directory;
        var data = MovieSentences.WriteCsv(temp["sentences.csv"], 60, seed: 5);
        string[] task = ["--task", "sst2", "--data", data, "--num-train", "20", "--num-dev", "10", "--num-test", "10", "--steps", "1", "--no-plots"];

        var tooMany = CliRunner.Run(["finetune", "--model", useLite, "--train-top-layers", "3", .. task, "--out", temp["a"]]);
        Assert.That(tooMany.ExitCode, Is.Not.Zero);
        Assert.That(tooMany.Error, Does.Contain("top 3 layers").And.Contain("from 0 to 2").And.Not.Contain("   at "));

        var mlp = FeatureModel.Write(temp["mlp"]);
        var blobs = FeatureModel.WriteBlobs(temp["blobs.csv"], 60, seed: 3);
        var unnamed = CliRunner.Run(FeatureModel.FinetuneArgs(mlp, blobs, temp["b"], 1, "--train-top-layers", "1"));
        Assert.That(unnamed.ExitCode, Is.Not.Zero);
        Assert.That(unnamed.Error, Does.Contain("Cannot find the transformer layers").And.Contain("layer.3").And.Contain("--trainable"));

        var alphaAlone = CliRunner.Run(["finetune", "--model", useLite, "--lora-alpha", "16", .. task, "--out", temp["c"]]);
        Assert.That(alphaAlone.ExitCode, Is.Not.Zero);
        Assert.That(alphaAlone.Error, Does.Contain("--lora-alpha without --lora"));
        Assert.That(Directory.Exists(temp["c"]), Is.False, "nothing written");
    }

    private static float[] Weight(string modelPath, string name)
    {
        var tensor = OnnxModelFile.Load(modelPath).Graph.Initializer.Single(t => t.Name == name);
        var info = InitializerData.Describe(tensor, Path.GetDirectoryName(modelPath)!);
        var values = new float[info.ElementCount];
        InitializerData.ReadAsFloat(tensor, info, values);
        return values;
    }
}
