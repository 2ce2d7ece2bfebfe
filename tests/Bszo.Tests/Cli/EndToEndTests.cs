using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Bszo.Cli;
using Bszo.Cli.Display;
using Bszo.Models.Training;
using Bszo.Onnx;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Bszo.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Tests.Cli;

/// <summary>prepare → finetune (interrupted) → resume → export → reload, through the CLI's own entry point.</summary>
public class EndToEndTests
{
    [Test]
    public void Prepare_finetune_resume_export_and_reload()
    {
        var clock = Stopwatch.StartNew();
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 400, seed: 3);
        string[] taskArgs = ["--task", "custom", "--data", data, "--template", FeatureModel.Template, "--verbalizer", FeatureModel.Verbalizer,
            "--num-train", "240", "--num-dev", "60", "--num-test", "90"];

        // 1. prepare once
        var prepare = CliRunner.Run(["prepare", "--model", model, "--out", temp["prepared"]]);
        Assert.That(prepare.ExitCode, Is.Zero, prepare.ToString());
        Assert.That(prepare.Output, Does.Contain("4 trainable tensors, 195 weights"));

        // 2. finetune, interrupted (Ctrl-C) after step 50 of 90
        using var interrupt = new CancellationTokenSource();
        using var output = new InterruptingWriter("\"event\":\"step\",\"step\":50,", interrupt);
        using var error = new StringWriter();
        string[] finetune = ["finetune", "--prepared", temp["prepared"], .. taskArgs, "--steps", "90", "--eval-every", "30", "--checkpoint-every", "30",
            "--learning-rate", "2e-3", "--seed", "7", "--threads", "1", "--out", temp["run"]];
        int code = Program.Run([.. finetune, "--json"], CliConsole.ForWriters(output, error), interrupt.Token);
        Assert.That(code, Is.EqualTo(ExitCodes.Interrupted), error.ToString());
        Assert.That(error.ToString(), Does.Contain("--resume"));
        Assert.That(Checkpoints.Newest(temp["run/checkpoints"])!.Step, Is.EqualTo(30));

        // 3. resume with nothing but --out: the saved arguments supply the rest
        var resume = CliRunner.Run(["finetune", "--out", temp["run"], "--resume", "--quiet"]);
        Assert.That(resume.ExitCode, Is.Zero, resume.ToString());
        Assert.That(resume.Output, Does.StartWith("test accuracy: zero-shot "));
        var results = RunResults.Load(temp["run/results.json"])!;
        Assert.That(results.Steps, Is.EqualTo(90));
        Assert.That(File.Exists(temp["run/loss.png"]) && File.Exists(temp["run/accuracy.png"]));

        // 4. export: the original graph with the best weights, verified in a fresh session
        var export = CliRunner.Run(["export", "--run", temp["run"], "--out", temp["deploy"]]);
        Assert.That(export.ExitCode, Is.Zero, export.ToString());
        Assert.That(export.Output, Does.Contain("verified: output 'logits' matches the training graph"));
        Assert.That(Directory.GetFiles(temp["deploy"]).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { "mlp.onnx", "mlp.data", "bszo-model.json", "feature_names.txt", "bszo-export.json", "bszo-checksums.json" }));
        AssertSameGraph(Path.Combine(model, "mlp.onnx"), temp["deploy/mlp.onnx"]);

        // 5. reload through the CLI: the exported model scores what the run reported
        var eval = CliRunner.Run(["eval", "--model", temp["deploy"], .. taskArgs, "--json"]);
        Assert.That(eval.ExitCode, Is.Zero, eval.ToString());
        var scored = JsonNode.Parse(eval.Output)!;
        Assert.That(scored["test_accuracy"]!.GetValue<double>(), Is.EqualTo(results.FineTunedTest.Metric));
        Assert.That(scored["test_loss"]!.GetValue<double>(), Is.EqualTo(results.FineTunedTest.Loss).Within(1e-6));

        var evalRun = CliRunner.Run(["eval", "--run", temp["run"], "--json"]);
        Assert.That(evalRun.ExitCode, Is.Zero, evalRun.ToString());
        Assert.That(JsonNode.Parse(evalRun.Output)!["test_accuracy"]!.GetValue<double>(), Is.EqualTo(results.FineTunedTest.Metric));
        Assert.That(JsonNode.Parse(evalRun.Output)!["weights_sha256"]!.GetValue<string>(), Is.EqualTo(results.BestWeightsSha256));

        // 6. rebuild from the base model and the trajectory alone: the same bytes
        var fromLog = CliRunner.Run(["export", "--run", temp["run"], "--out", temp["deploy-from-log"], "--from-log"]);
        Assert.That(fromLog.ExitCode, Is.Zero, fromLog.ToString());
        Assert.That(fromLog.Output, Does.Contain("matches the run's best weights"));
        Assert.That(File.ReadAllBytes(temp["deploy-from-log/mlp.data"]), Is.EqualTo(File.ReadAllBytes(temp["deploy/mlp.data"])));
        Assert.That(File.ReadAllBytes(temp["deploy-from-log/mlp.onnx"]), Is.EqualTo(File.ReadAllBytes(temp["deploy/mlp.onnx"])));

        // 7. a Triton model repository entry, and an existing export is never overwritten without --force
        var triton = CliRunner.Run(["export", "--run", temp["run"], "--out", temp["repo"], "--triton", "blobs", "--weights", "final"]);
        Assert.That(triton.ExitCode, Is.Zero, triton.ToString());
        var pbtxt = File.ReadAllText(temp["repo/blobs/config.pbtxt"]);
        Assert.That(pbtxt, Does.Contain("name: \"blobs\"").And.Contain("platform: \"onnxruntime_onnx\"").And.Contain("name: \"x\"")
            .And.Contain("data_type: TYPE_FP32").And.Contain("dims: [ -1, 8 ]").And.Contain("dims: [ -1, 3 ]"));
        Assert.That(File.Exists(temp["repo/blobs/1/mlp.onnx"]) && File.Exists(temp["repo/blobs/1/mlp.data"]));
        var again = CliRunner.Run(["export", "--run", temp["run"], "--out", temp["deploy"]]);
        Assert.That(again.ExitCode, Is.Not.Zero);
        Assert.That(again.Error, Does.Contain("--force"));

        TestContext.Out.WriteLine($"end to end: {clock.Elapsed.TotalSeconds:F1} s");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
    }

    [Test]
    public void An_independent_onnx_runtime_loads_the_export_and_computes_the_same_outputs()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 400, seed: 5);
        var train = CliRunner.Run([.. FeatureModel.FinetuneArgs(model, data, temp["run"], 60), "--quiet", "--no-plots"]);
        Assert.That(train.ExitCode, Is.Zero, train.ToString());
        var export = CliRunner.Run(["export", "--run", temp["run"], "--out", temp["deploy"]]);
        Assert.That(export.ExitCode, Is.Zero, export.ToString());

        // A batch of feature vectors, and the training graph's logits for it with the run's best weights.
        const int batch = 12;
        var x = TestModels.Randn(new Random(9), batch * FeatureModel.Features, 1.5f);
        float[] expected;
        var prepared = PreparedModel.Open(temp["run/prepared"]);
        using (var store = WeightStore.Load(prepared))
        {
            var pointer = JsonNode.Parse(File.ReadAllText(temp["run/best.json"]))!;
            var best = new CheckpointInfo(pointer["step"]!.GetValue<long>(), Path.Combine(temp["run"], pointer["directory"]!.GetValue<string>()));
            store.LoadFrom(best.Manifest, best.WeightsPath);
            using var session = TrainingGraphSession.Create(prepared, store);
            using var inputs = new TensorBatch(batch).Add("x", x, batch, FeatureModel.Features).Add("labels", new long[batch], batch);
            expected = session.Run(inputs, "logits").Data;
        }

        var inputsPath = temp["inputs.json"];
        File.WriteAllText(inputsPath, new JsonObject
        {
            ["x"] = new JsonObject
            {
                ["type"] = "float32",
                ["dims"] = new JsonArray(batch, FeatureModel.Features),
                ["data"] = new JsonArray(x.Select(v => (JsonNode)JsonValue.Create((double)v)).ToArray()),
            },
        }.ToJsonString());
        var script = Path.Combine(Repository.NodeTools, "run-onnx.js");
        Assert.That(Directory.Exists(Path.Combine(Repository.NodeTools, "node_modules", "onnxruntime-node")),
            "onnxruntime-node is missing: run scripts/prerequisites.sh test (npm install --ignore-scripts in tools/node)");
        var (exit, stdout, stderr) = ChildProcess.Run("node", [script, temp["deploy/mlp.onnx"], inputsPath], TimeSpan.FromSeconds(60));
        Assert.That(exit, Is.Zero, stderr);
        var logits = JsonNode.Parse(stdout)!["logits"]!;
        Assert.That(logits["dims"]!.AsArray().Select(d => d!.GetValue<long>()), Is.EqualTo(new long[] { batch, FeatureModel.Classes }));
        var actual = logits["data"]!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray();
        Assert.That(actual, Is.EqualTo(expected).Within(1e-5f));
        Assert.That(expected.Distinct().Count(), Is.GreaterThan(batch), "a non-trivial comparison");
    }

    private static void AssertSameGraph(string sourcePath, string exportedPath)
    {
        var source = OnnxModelFile.Load(sourcePath);
        var exported = OnnxModelFile.Load(exportedPath);
        Assert.That(exported.IrVersion, Is.EqualTo(source.IrVersion));
        Assert.That(exported.OpsetImport, Is.EqualTo(source.OpsetImport));
        Assert.That(exported.Graph.Node, Is.EqualTo(source.Graph.Node), "nodes unchanged");
        Assert.That(exported.Graph.Input, Is.EqualTo(source.Graph.Input));
        Assert.That(exported.Graph.Output, Is.EqualTo(source.Graph.Output));
        Assert.That(exported.Graph.Initializer.Select(t => (t.Name, t.DataType, string.Join(",", t.Dims))),
            Is.EqualTo(source.Graph.Initializer.Select(t => (t.Name, t.DataType, string.Join(",", t.Dims)))));
        foreach (var t in exported.Graph.Initializer)
        {
            Assert.That(t.DataLocation, Is.EqualTo(TensorProto.Types.DataLocation.External), t.Name);
            Assert.That(t.ExternalData.Single(e => e.Key == "location").Value, Is.EqualTo("mlp.data"), "relative, next to the model");
        }
        using var session = new InferenceSession(exportedPath); // plain ORT defaults, as a deployment would load it
        Assert.That(session.OutputMetadata.Keys, Is.EqualTo(new[] { "logits" }));
    }

    /// <summary>Captures output and interrupts the run (as Ctrl-C would) when a line containing <paramref name="marker"/> is written.</summary>
    private sealed class InterruptingWriter(string marker, CancellationTokenSource interrupt) : StringWriter(CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.Contains(marker, StringComparison.Ordinal)) interrupt.Cancel();
        }
    }
}
