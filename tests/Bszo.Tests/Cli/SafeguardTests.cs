using System.Text.Json.Nodes;
using Bszo.Ort.Graph;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cli;

/// <summary>
/// The other side of the bad-input suite: what a refusal can be overridden with, what a failed command
/// leaves behind (nothing), and which weights a score or an export carries (the recorded ones).
/// </summary>
public class SafeguardTests
{
    [Test]
    public void Suspicious_input_goes_ahead_with_allow_suspicious_and_each_concern_is_printed()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 400, 1);
        var sameAnswer = """{"0":" a","1":" a","2":" c"}""";
        var refused = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["refused"], 5, "--verbalizer", sameAnswer, "--quiet"));
        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.ToString());

        var allowed = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["allowed"], 5, "--verbalizer", sameAnswer, "--allow-suspicious", "--quiet", "--no-plots"));
        Assert.That(allowed.ExitCode, Is.Zero, allowed.ToString());
        Assert.That(allowed.Error, Does.Contain("warning: the verbalizer gives labels '0' and '1' the same answer ' a'").And.Contain("going ahead"), "warned even with --quiet");
        Assert.That(JsonNode.Parse(File.ReadAllText(temp["allowed/config.json"]))!["arguments"]!["allow-suspicious"]!.GetValue<bool>(), "saved for --resume and eval");
    }

    [Test]
    public void A_run_that_fails_before_its_first_step_takes_back_what_it_wrote_and_keeps_what_was_there()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 400, 1);
        Directory.CreateDirectory(temp["run"]);
        File.WriteAllText(temp["run/notes.txt"], "mine");

        // Fails in the first forward pass, after the model was prepared and config.json written.
        var failed = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["run"], 5, "--template", "{f0} {f1}", "--quiet"));
        Assert.That(failed.ExitCode, Is.EqualTo(1), failed.ToString());
        Assert.That(Directory.GetFileSystemEntries(temp["run"]).Select(Path.GetFileName), Is.EquivalentTo(new[] { "notes.txt" }));

        var good = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["run"], 5, "--quiet", "--no-plots"));
        Assert.That(good.ExitCode, Is.Zero, good.ToString());
        Assert.That(File.ReadAllText(temp["run/notes.txt"]), Is.EqualTo("mine"));
    }

    [Test]
    public void Eval_of_a_run_scores_the_data_it_is_given_with_the_recorded_weights_and_says_which()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 400, 1);
        var run = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["run"], 40, "--learning-rate", "2e-2", "--eval-every", "20", "--quiet", "--no-plots"));
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var other = FeatureModel.WriteBlobs(temp["other.csv"], 37, 9);

        var own = CliRunner.Run(["eval", "--run", temp["run"], "--json"]);
        var given = CliRunner.Run(["eval", "--run", temp["run"], "--test", other, "--json"]);
        Assert.That(own.ExitCode, Is.Zero, own.ToString());
        Assert.That(given.ExitCode, Is.Zero, given.ToString());
        var a = JsonNode.Parse(own.Output)!;
        var b = JsonNode.Parse(given.Output)!;
        Assert.That(a["test_examples"]!.GetValue<int>(), Is.EqualTo(90), "the run's own test split");
        Assert.That(b["test_examples"]!.GetValue<int>(), Is.EqualTo(37), "every row of the file given");
        var best = JsonNode.Parse(File.ReadAllText(temp["run/best.json"]))!;
        Assert.That(b["weights"]!.GetValue<string>(), Is.EqualTo("best"));
        Assert.That(b["weights_step"]!.GetValue<long>(), Is.EqualTo(best["step"]!.GetValue<long>()));
        Assert.That(b["weights_sha256"]!.GetValue<string>(), Is.EqualTo(best["weights_sha256"]!.GetValue<string>()));
    }

    [Test]
    public void Leftovers_of_killed_commands_are_removed_by_the_next_write_there_and_a_live_process_s_are_kept()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 400, 1);
        var run = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["run"], 10, "--quiet", "--no-plots"));
        Assert.That(run.ExitCode, Is.Zero, run.ToString());

        // What `kill -9` during an export leaves: a hidden temporary directory beside the destination.
        const int Gone = int.MaxValue - 7; // no such process
        var dead = Directory.CreateDirectory(temp[$".deploy.{Gone}.{Guid.NewGuid():N}.partial"]).FullName;
        File.WriteAllBytes(Path.Combine(dead, "model.onnx.data"), new byte[4096]);
        var aside = Directory.CreateDirectory(temp[$".deploy.{Gone}.{Guid.NewGuid():N}.old"]).FullName;
        var live = Directory.CreateDirectory(temp[$".deploy.{Environment.ProcessId}.{Guid.NewGuid():N}.partial"]).FullName;
        var export = CliRunner.Run(["export", "--run", temp["run"], "--out", temp["deploy"]]);
        Assert.That(export.ExitCode, Is.Zero, export.ToString());
        Assert.That(Directory.Exists(dead) || Directory.Exists(aside), Is.False, "a dead process's temporary directories are removed");
        Assert.That(Directory.Exists(live), "a live process may still be writing its own");

        // And a temporary file of a killed atomic write.
        var tmp = temp[$".best.json.{Gone}.{Guid.NewGuid():N}.tmp"];
        File.WriteAllText(tmp, "{");
        AtomicFile.WriteAllText(temp["best.json"], "{}");
        Assert.That(File.Exists(tmp), Is.False);
    }

    [Test]
    public void Weights_changed_on_disk_after_bszo_wrote_them_are_refused_wherever_they_are_read()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["d.csv"], 400, 1);
        var prepare = CliRunner.Run(["prepare", "--model", model, "--out", temp["prepared"]]);
        Assert.That(prepare.ExitCode, Is.Zero, prepare.ToString());
        Assert.That(FileChecksums.Verify(temp["prepared"], "-"), Is.True, "prepare writes checksums");
        var run = CliRunner.Run(FeatureModel.FinetuneArgs(model, data, temp["run"], 10, "--quiet", "--no-plots"));
        var export = CliRunner.Run(["export", "--run", temp["run"], "--out", temp["deploy"]]);
        Assert.That(run.ExitCode + export.ExitCode, Is.Zero, run + "\n" + export);
        Assert.That(FileChecksums.Verify(temp["deploy"], "-"), Is.True, "export writes checksums");

        // One bit of one weight: still a finite number, so only the checksum can tell.
        FlipLowBit(temp["prepared/weights.bin"], 64);
        var fromPrepared = CliRunner.Run(["finetune", "--prepared", temp["prepared"], "--task", "custom", "--data", data, "--template", FeatureModel.Template,
            "--verbalizer", FeatureModel.Verbalizer, "--num-train", "240", "--num-dev", "60", "--num-test", "90", "--steps", "5", "--out", temp["run2"], "--quiet"]);
        FlipLowBit(temp["deploy/mlp.data"], 64);
        var fromExport = CliRunner.Run(["eval", "--model", temp["deploy"], "--task", "custom", "--data", data, "--template", FeatureModel.Template, "--verbalizer", FeatureModel.Verbalizer]);
        foreach (var (r, file) in new[] { (fromPrepared, "weights.bin"), (fromExport, "mlp.data") })
        {
            Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
            Assert.That(r.Error, Does.Contain(file).And.Contain("is damaged: its SHA-256 differs"), r.ToString());
        }
    }

    private static void FlipLowBit(string path, int offset)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }
}
