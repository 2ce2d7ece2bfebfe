using System.Text.Json.Nodes;
using Bszo.Models.Adapters;
using Bszo.Models.Data;
using Bszo.Models.Training;
using Bszo.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Tests.Cli;

/// <summary>
/// Models whose inputs are not token ids, exported from PyTorch by tools/export (a CNN with its batch
/// fixed at 4, and a two-input MLP regressor), fine-tuned from .npz data through the CLI, exported,
/// and the exports run in onnxruntime-node; bad arrays fail with what was expected, before anything is written.
/// </summary>
public class TensorModelTests
{
    private static string Tensor(string name) => Path.Combine(ExportFixtures.Directory, "tensor", name);

    [Test]
    public void Inputs_that_are_no_token_ids_make_a_tensor_model_with_its_fixed_batch()
    {
        var cnn = ModelDirectory.Open(Tensor("cnn"));
        Assert.That((cnn.Kind, cnn.FixedBatch, cnn.Loss), Is.EqualTo((TensorAdapter.KindName, (int?)4, (string?)null)));
        Assert.That(cnn.Inputs.Keys, Is.EqualTo(new[] { "image" }));
        Assert.That(cnn.Outputs, Is.EquivalentTo(new Dictionary<string, string> { ["output"] = "logits" }));
        Assert.That(cnn.Description, Does.Contain("'image' [4, 1, 8, 8] uint8").And.Contain("fixed at 4"));
        var mlp = ModelDirectory.Open(Path.Combine(Tensor("mlp"), "model.onnx"));
        Assert.That((mlp.Kind, mlp.FixedBatch), Is.EqualTo((TensorAdapter.KindName, (int?)null)));
        Assert.That(mlp.Inputs.Keys, Is.EqualTo(new[] { "numeric", "category" }));
    }

    [Test]
    public void A_cnn_fine_tunes_from_npz_in_batches_of_its_fixed_size_and_its_export_runs_in_onnxruntime_node()
    {
        using var temp = new TempDirectory();
        var train = CliRunner.Run(["finetune", "--model", Tensor("cnn"), "--data", Tensor("cnn/train.npz"), "--test", Tensor("cnn/test.npz"),
            "--num-train", "300", "--num-dev", "98", "--num-test", "200", "--optimizer", "mezo", "--learning-rate", "0.02", "--steps", "400",
            "--threads", "1", "--no-plots", "--json", "--out", temp["run"]]);
        Assert.That(train.ExitCode, Is.Zero, train.ToString());
        var results = RunResults.Load(temp["run/results.json"])!;
        TestContext.Out.WriteLine($"test accuracy {results.ZeroShotTest.Metric:P1} -> {results.FineTunedTest.Metric:P1}");
        Assert.That(results.FineTunedTest.Metric, Is.GreaterThan(results.ZeroShotTest.Metric + 0.1), "the fine-tuned CNN classifies the shifted squares better");
        var config = JsonNode.Parse(File.ReadAllText(temp["run/config.json"]))!;
        Assert.That(config["options"]!["spec"]!["batchSize"]!.GetValue<int>(), Is.EqualTo(4), "the graph's fixed batch, chosen by itself");
        Assert.That(config["resolved"]!["data"]!["dev"]!.GetValue<int>(), Is.EqualTo(96), "dev cut to whole batches of 4");

        var export = CliRunner.Run(["export", "--run", temp["run"], "--out", temp["deploy"]]);
        Assert.That(export.ExitCode, Is.Zero, export.ToString());
        var images = NpzFile.Read(Tensor("cnn/test.npz"))["image"];
        var batch = images.Data.AsSpan(0, 4 * 64).ToArray();
        var node = IndependentRuntime.Run(temp["deploy/model.onnx"], new Dictionary<string, NodeTensor> { ["image"] = new("uint8", [4, 1, 8, 8], [.. batch.Select(b => (double)b)]) });
        using var session = new InferenceSession(temp["deploy/model.onnx"]);
        using var value = OrtValue.CreateTensorValueFromMemory(batch, [4, 1, 8, 8]);
        using var run = new RunOptions();
        using var outputs = session.Run(run, ["image"], [value], ["logits"]);
        Assert.That(node["logits"].Data, Is.EqualTo(outputs[0].GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v)).Within(1e-5));
    }

    [Test]
    public void A_two_input_mlp_regression_fine_tunes_on_the_mean_squared_error_and_scores_r2()
    {
        using var temp = new TempDirectory();
        var train = CliRunner.Run(["finetune", "--model", Tensor("mlp"), "--data", Tensor("mlp/train.npz"), "--num-train", "300", "--num-dev", "100", "--num-test", "200",
            "--optimizer", "mezo", "--learning-rate", "0.01", "--steps", "300", "--threads", "1", "--no-plots", "--json", "--out", temp["run"]]);
        Assert.That(train.ExitCode, Is.Zero, train.ToString());
        var results = RunResults.Load(temp["run/results.json"])!;
        TestContext.Out.WriteLine($"test R² {results.ZeroShotTest.Metric:F3} -> {results.FineTunedTest.Metric:F3}");
        Assert.That(results.FineTunedTest.MetricName, Is.EqualTo("r2"));
        Assert.That(results.FineTunedTest.Metric, Is.GreaterThan(results.ZeroShotTest.Metric + 0.05), "the shifted targets are learned");
        Assert.That(ModelCard.LoadResolved(temp["run/prepared"])!.Loss, Is.EqualTo("mse"), "chosen from the 'target' array");

        var export = CliRunner.Run(["export", "--run", temp["run"], "--out", temp["deploy"]]);
        Assert.That(export.ExitCode, Is.Zero, export.ToString());
        Assert.That(export.Output, Does.Contain("verified: output 'prediction'"));
        var node = IndependentRuntime.Run(temp["deploy/model.onnx"], new Dictionary<string, NodeTensor>
        {
            ["numeric"] = new("float32", [2, 4], [0.5, -1, 0.25, 2, 0, 0, 0, 0]),
            ["category"] = new("int64", [2], [2, 0]),
        });
        Assert.That(node["prediction"].Dims, Is.EqualTo(new long[] { 2, 2 }));
    }

    [TestCase("missing", "lacks the array(s) 'numeric'", "numeric [batch, 4] float")]
    [TestCase("shape", "does not fit graph input 'numeric'", "[600, 5]")]
    [TestCase("float-category", "holds float64 values; graph input 'category' takes int64", "astype(numpy.int64)")]
    [TestCase("target-shape", "Array 'target'", "does not fit output 'prediction'")]
    [TestCase("text", "is not an .npz file", "numpy.savez")]
    public void Arrays_that_do_not_fit_the_graph_fail_naming_file_expectation_and_finding_and_write_nothing(string broken, string what, string detail)
    {
        using var temp = new TempDirectory();
        var arrays = NpzFile.Read(Tensor("mlp/train.npz")).ToDictionary(a => a.Key, a => NpzWriter.Array.From(a.Value));
        string data;
        switch (broken)
        {
            case "missing":
                arrays.Remove("numeric");
                break;
            case "shape":
                arrays["numeric"] = NpzWriter.Array.Float64([600, 5], new double[3000]);
                break;
            case "float-category":
                arrays["category"] = NpzWriter.Array.Float64([600], new double[600]);
                break;
            case "target-shape":
                arrays["target"] = NpzWriter.Array.Float64([600, 3], new double[1800]);
                break;
        }
        if (broken == "text")
        {
            data = temp["data.csv"];
            File.WriteAllText(data, "numeric,target\n1,2\n");
        }
        else
        {
            data = NpzWriter.Write(temp["data.npz"], arrays);
        }
        var result = CliRunner.Run(["finetune", "--model", Tensor("mlp"), "--data", data, "--loss", "mse", "--steps", "5", "--out", temp["run"]]);
        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.Error, Does.Contain(what).And.Contain(detail).And.Contain(Path.GetFileName(data)));
        Assert.That(result.Error, Does.Not.Contain("   at "), "no stack trace for a user mistake");
        Assert.That(Directory.Exists(temp["run"]), Is.False, "nothing written");
    }

    [Test]
    public void A_label_outside_the_outputs_classes_is_named_with_its_example()
    {
        using var temp = new TempDirectory();
        var arrays = NpzFile.Read(Tensor("cnn/train.npz")).ToDictionary(a => a.Key, a => NpzWriter.Array.From(a.Value));
        var labels = Enumerable.Repeat(0L, 400).ToArray();
        labels[7] = 3;
        arrays["label"] = NpzWriter.Array.Int64([400], labels);
        var result = CliRunner.Run(["finetune", "--model", Tensor("cnn"), "--data", NpzWriter.Write(temp["data.npz"], arrays), "--steps", "5", "--out", temp["run"]]);
        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.Error, Does.Contain("Label 3 of example 7").And.Contain("[0, 3)"));
        Assert.That(Directory.Exists(temp["run"]), Is.False, "nothing written");
    }

    [Test]
    public void Npz_data_for_a_text_model_is_refused_naming_both()
    {
        using var temp = new TempDirectory();
        var result = CliRunner.Run(["eval", "--model", ExportFixtures.Optimum("bert"), "--data", Tensor("mlp/train.npz")]);
        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.Error, Does.Contain("holds NumPy arrays").And.Contain("'generic' model that reads text"));
    }
}
