using System.Text.Json.Nodes;
using Bszo.Models.Adapters;
using Bszo.Ort.Optimizers;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cli;

public class CliTests
{
    [Test]
    public void Help_shows_examples_a_newcomer_can_copy()
    {
        var root = CliRunner.Run(["--help"]);
        Assert.That(root.ExitCode, Is.Zero);
        Assert.That(root.Output, Does.Contain("finetune").And.Contain("export").And.Contain("bszo finetune --help"));
        var finetune = CliRunner.Run(["finetune", "--help"]);
        Assert.That(finetune.Output, Does.Contain("Examples:").And.Contain("--template \"{sentence} It was\"").And.Contain("--resume").And.Contain("--learning-rate"));
    }

    [Test]
    public void An_unknown_task_fails_listing_the_known_tasks_and_writes_nothing()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var r = CliRunner.Run(["finetune", "--model", model, "--task", "sst3", "--out", temp["run"]]);
        Assert.That(r.ExitCode, Is.Not.Zero, r.ToString());
        Assert.That(r.Error, Does.Contain("Unknown task 'sst3'").And.Contain("sst2, sst5, rte"));
        Assert.That(Directory.Exists(temp["run"]), Is.False);
    }

    [Test]
    public void An_unknown_optimizer_fails_listing_the_known_ones()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 100, 1);
        var r = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["run"], 5, "--optimizer", "adamw"));
        Assert.That(r.ExitCode, Is.Not.Zero, r.ToString());
        Assert.That(r.Error, Does.Contain("Unknown optimizer 'adamw'").And.Contain("mezo"));
        Assert.That(Directory.Exists(temp["run"]), Is.False);
    }

    [Test]
    public void Rademacher_noise_is_saved_for_resume_and_an_unknown_noise_lists_the_choices()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 100, 1);
        var bad = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["bad"], 5, "--noise", "uniform"));
        Assert.That(bad.ExitCode, Is.Not.Zero, bad.ToString());
        Assert.That(bad.Error, Does.Contain("--noise must be one of gaussian, rademacher; found 'uniform'"));
        Assert.That(Directory.Exists(temp["bad"]), Is.False);

        var r = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["run"], 5, "--noise", "rademacher"));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(JsonNode.Parse(File.ReadAllText(temp["run/config.json"]))!["arguments"]!["noise"]!.GetValue<string>(), Is.EqualTo("rademacher"));
        Assert.That(File.ReadLines(temp["run/trajectory.jsonl"]).First(), Does.Contain("\"noise\":\"rademacher\""));
    }

    [Test]
    public void An_objective_the_task_is_not_scored_by_fails_naming_the_one_that_fits()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 100, 1);
        var r = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["run"], 5, "--objective", "f1"));
        Assert.That(r.ExitCode, Is.Not.Zero, r.ToString());
        Assert.That(r.Error, Does.Contain("--objective f1 does not fit").And.Contain("use --objective accuracy"));
        Assert.That(r.Error, Does.Not.Contain("   at "), "no stack trace for a user mistake");
        Assert.That(Directory.Exists(temp["run"]), Is.False);
    }

    [Test]
    public void A_diverging_run_exits_with_its_own_code()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 100, 1);
        var r = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["run"], 10, "--learning-rate", "1e30", "--optimizer", "mezo"));
        Assert.That(r.ExitCode, Is.EqualTo(Bszo.Cli.ExitCodes.Diverged), r.ToString());
        Assert.That(r.Error, Does.Contain("The loss is"));
    }

    [Test]
    public void Training_only_the_last_layer_uses_the_frozen_prefix_cache_unless_turned_off()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 400, 1);
        var cached = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["cached"], 20, "--trainable", "w2", "--trainable", "b2"));
        Assert.That(cached.ExitCode, Is.Zero, cached.ToString());
        Assert.That(cached.Output + cached.Error, Does.Contain("frozen-prefix cache: ready"));

        var whole = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["whole"], 20, "--trainable", "w2", "--trainable", "b2", "--cache-frozen-prefix", "false"));
        Assert.That(whole.ExitCode, Is.Zero, whole.ToString());
        Assert.That(whole.Output + whole.Error, Does.Not.Contain("frozen-prefix cache"));
        Assert.That(JsonNode.Parse(File.ReadAllText(temp["whole/config.json"]))!["arguments"]!["cache-frozen-prefix"]!.GetValue<bool>(), Is.False);
    }

    [Test]
    public void Prepare_list_prints_every_initializer_with_its_shape()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var r = CliRunner.Run(["prepare", "--model", model, "--list"]);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Output, Does.Contain("w1").And.Contain("[8, 16]").And.Contain("w2").And.Contain("[3, 16]"));
    }

    [Test]
    public void A_bad_data_row_names_the_file_and_the_line()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 100, 1);
        var lines = File.ReadAllLines(data).ToList();
        lines[40] = lines[40][..lines[40].LastIndexOf(',')] + ",7"; // a label the verbalizer lacks
        File.WriteAllLines(data, lines);
        var r = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["run"], 5));
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.Error, Does.Contain("Label '7'").And.Contain(data).And.Contain("line 41"));
    }

    [Test]
    public void An_unwritable_output_directory_is_a_clear_error()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 100, 1);
        File.WriteAllText(temp["a-file"], "not a directory");
        var r = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["a-file/run"], 5));
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.Error, Does.Contain("Cannot write to the run directory").And.Contain("nothing was written"));
        Assert.That(File.ReadAllText(temp["a-file"]), Is.EqualTo("not a directory"));
    }

    [TestCase("yaml")]
    [TestCase("json")]
    public void Options_come_from_a_config_file_and_the_command_line_overrides_them(string format)
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 200, 1);
        var config = temp[$"run.{format}"];
        File.WriteAllText(config, format == "yaml"
            ? $"""
              model: {model}
              task: custom
              data: {data}
              template: "{FeatureModel.Template}"
              verbalizer: {FeatureModel.Verbalizer}
              steps: 6
              learning_rate: 0.5
              num-train: 60
              num-dev: 20
              num-test: 20
              rename: [unused=also_unused]
              """
            : new JsonObject
            {
                ["model"] = model, ["task"] = "custom", ["data"] = data, ["template"] = FeatureModel.Template,
                ["verbalizer"] = JsonNode.Parse(FeatureModel.Verbalizer), ["steps"] = 6, ["learningRate"] = 0.5,
                ["num-train"] = 60, ["num-dev"] = 20, ["num-test"] = 20, ["rename"] = new JsonArray("unused=also_unused"),
            }.ToJsonString());
        var r = CliRunner.Run(["finetune", "--config", config, "--learning-rate", "0.003", "--out", temp["run"], "--quiet", "--no-plots"]);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var saved = JsonNode.Parse(File.ReadAllText(temp["run/config.json"]))!;
        Assert.That(saved["options"]!["spec"]!["options"]!["totalSteps"]!.GetValue<long>(), Is.EqualTo(6));
        Assert.That(saved["options"]!["spec"]!["options"]!["learningRate"]!.GetValue<double>(), Is.EqualTo(0.003));
        Assert.That(saved["options"]!["task"]!["rename"]![0]!.GetValue<string>(), Is.EqualTo("unused=also_unused"));
        Assert.That(saved["versions"]!["onnxruntime"]!.GetValue<string>(), Is.Not.Empty);
        Assert.That(r.Output, Does.StartWith("test accuracy: zero-shot "));
    }

    [Test]
    public void The_model_cards_recipe_fills_what_the_command_line_leaves_open_for_the_cards_tensors_only()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var card = ModelCard.Load(model);
        (card with
        {
            Recipes = new() { ["bszo"] = new RecipeCard { LearningRate = 0.25, Epsilon = 0.002, Steps = 3, Options = new() { ["prior-std"] = "0.5" } } },
        }).Save(model);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 200, 1);

        JsonNode Settings(string run, params string[] extra)
        {
            string[] args =
            [
                "finetune", "--model", model, "--task", "custom", "--data", data, "--template", FeatureModel.Template, "--verbalizer", FeatureModel.Verbalizer,
                "--num-train", "60", "--num-dev", "20", "--num-test", "20", "--threads", "1", "--out", temp[run], "--quiet", "--no-plots", .. extra,
            ];
            var r = CliRunner.Run(args);
            Assert.That(r.ExitCode, Is.Zero, r.ToString());
            return JsonNode.Parse(File.ReadAllText(temp[$"{run}/config.json"]))!["options"]!["spec"]!["options"]!;
        }

        var fromCard = Settings("a");
        Assert.That(fromCard["totalSteps"]!.GetValue<long>(), Is.EqualTo(3), "the card's step count, --steps not given");
        Assert.That(fromCard["learningRate"]!.GetValue<double>(), Is.EqualTo(0.25));
        Assert.That(fromCard["epsilon"]!.GetValue<double>(), Is.EqualTo(0.002));
        Assert.That(fromCard["priorStd"]!.GetValue<double>(), Is.EqualTo(0.5));

        var overridden = Settings("b", "--learning-rate", "0.125", "--optimizer-option", "prior-std=2", "--steps", "2");
        Assert.That(overridden["totalSteps"]!.GetValue<long>(), Is.EqualTo(2));
        Assert.That(overridden["learningRate"]!.GetValue<double>(), Is.EqualTo(0.125));
        Assert.That(overridden["epsilon"]!.GetValue<double>(), Is.EqualTo(0.002));
        Assert.That(overridden["priorStd"]!.GetValue<double>(), Is.EqualTo(2));

        // Other tensors than the card's, or another optimizer: the recipe does not apply (the method's defaults do).
        var ownTensors = Settings("c", "--trainable", "b*", "--steps", "2");
        Assert.That(ownTensors["learningRate"]!.GetValue<double>(), Is.EqualTo(new BszoOptions().LearningRate));
        Assert.That(ownTensors["priorStd"], Is.Null);
        var mezo = Settings("d", "--optimizer", "mezo", "--steps", "2");
        Assert.That(mezo["learningRate"]!.GetValue<double>(), Is.EqualTo(new MezoOptions().LearningRate));
    }

    [Test]
    public void An_unknown_config_key_lists_the_valid_ones()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp["c.yaml"], "stepz: 5\n");
        var r = CliRunner.Run(["finetune", "--config", temp["c.yaml"]]);
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.Error, Does.Contain("unknown key 'stepz'").And.Contain("steps"));
    }

    [Test]
    public void Json_output_is_one_object_per_line_ending_with_the_result()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 400, 1);
        var r = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["run"], 10, "--json"));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var events = r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(events.Select(e => e["event"]!.GetValue<string>()).Distinct(), Is.SupersetOf(new[] { "start", "step", "eval", "checkpoint", "result" }));
        Assert.That(events[^1]["event"]!.GetValue<string>(), Is.EqualTo("result"));
        Assert.That(events[^1]["fine_tuned_test"]!["metric"]!.GetValue<double>(), Is.InRange(0.0, 1.0));
    }

    [Test]
    [Category("Network")]
    public void Finetune_without_a_model_trains_the_default_model_on_the_default_task()
    {
        // The main job's path at toy size: Universal Sentence Encoder Lite (fetched and converted
        // once into the user's cache) on the Pang & Lee sentences.
        using var temp = new TempDirectory();
        var r = CliRunner.Run(["finetune", "--steps", "2", "--num-train", "32", "--num-dev", "16", "--num-test", "16",
            "--eval-every", "2", "--batch-size", "8", "--quiet", "--no-plots", "--out", temp["run"]]);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var results = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(temp["run/results.json"]))!;
        Assert.That(results["zero_shot_test"]?["metric"]?.GetValue<double>(), Is.GreaterThan(0));
        var config = File.ReadAllText(temp["run/config.json"]);
        Assert.That(config, Does.Contain("use-lite").And.Contain("\"bszo\""));
    }
}
