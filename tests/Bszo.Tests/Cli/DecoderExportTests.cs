using System.Globalization;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cli;

/// <summary>A decoder fine-tuned on a prompt task exports and verifies, though its training graph has no logits output.</summary>
public class DecoderExportTests
{
    [Test]
    public void A_decoders_export_is_verified_through_the_candidate_scores_of_its_logits()
    {
        using var temp = new TempDirectory();
        var lines = Enumerable.Range(0, 48).Select(i => string.Create(CultureInfo.InvariantCulture, $"the film number {i} was shown,{i % 2}"));
        File.WriteAllLines(temp["reviews.csv"], ["sentence,label", .. lines]);
        var train = CliRunner.Run([
            "finetune", "--model", ExportFixtures.Model("gpt2"), "--task", "custom", "--data", temp["reviews.csv"],
            "--template", "{sentence} It was", "--verbalizer", "{\"0\":\" bad\",\"1\":\" good\"}",
            "--num-train", "16", "--num-dev", "4", "--num-test", "4", "--steps", "1", "--batch-size", "4",
            "--optimizer", "mezo", "--threads", "1", "--quiet", "--no-plots", "--out", temp["run"]]);
        Assert.That(train.ExitCode, Is.Zero, train.ToString());

        var export = CliRunner.Run(["export", "--run", temp["run"], "--out", temp["deploy"], "--weights", "final"]);
        Assert.That(export.ExitCode, Is.Zero, export.ToString());
        Assert.That(export.Output, Does.Contain("verified: output 'candidate_log_likelihood (from logits)' matches the training graph"));
    }
}
