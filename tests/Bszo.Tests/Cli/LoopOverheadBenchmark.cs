using System.Diagnostics;
using Bszo.Models.Training;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cli;

/// <summary>
/// How much the training loop adds beyond forward passes and sweeps, on the tiny MLP where it
/// matters most, and the time from launching `bszo finetune` to its first step. A measurement,
/// not a check: run it explicitly, in Release, on a quiet machine:
/// <c>dotnet test tests/Bszo.Tests -c Release --filter "FullyQualifiedName~LoopOverheadBenchmark"</c>.
/// </summary>
[Explicit("a measurement; run it on a quiet machine")]
[Category("Benchmark")]
public class LoopOverheadBenchmark
{
    [Test]
    public void Loop_overhead_and_time_to_first_step()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 3000, seed: 3);
        for (int run = 0; run < 3; run++)
        {
            // Throughput: --quiet, so that no per-step console output is measured.
            var output = temp[$"run{run}"];
            var args = FeatureModel.FinetuneArgs(model, data, output, 20000, "--num-train", "1000", "--num-dev", "500", "--num-test", "1000",
                "--eval-every", "20000", "--quiet", "--no-plots");
            var (exit, _, error) = ChildProcess.Bszo(args, TimeSpan.FromMinutes(5));
            Assert.That(exit, Is.Zero, error);
            var t = RunResults.Load(Path.Combine(output, "results.json"))!.Timings;
            double Us(double s) => 1e6 * s / t.Steps;
            TestContext.Out.WriteLine(FormattableString.Invariant(
                $"{t.Steps} steps: {t.Steps / t.StepSeconds:F0} steps/s, {2 * t.Steps / t.StepSeconds:F0} forward passes/s; per step {Us(t.StepSeconds):F1} us = forward {Us(t.ForwardSeconds):F1} + sweeps {Us(t.SweepSeconds):F1} + loop {Us(t.OverheadSeconds):F1} us; trainer start to first step {t.TimeToFirstStep?.TotalSeconds:F3} s"));

            // Time to first step from launching the process: the first step event of --json.
            var launched = Stopwatch.StartNew();
            using var process = ChildProcess.Start("dotnet", [Repository.CliAssembly, .. FeatureModel.FinetuneArgs(model, data, temp[$"first{run}"], 5,
                "--num-train", "1000", "--num-dev", "500", "--num-test", "1000", "--json", "--no-plots")]);
            _ = process.StandardError.ReadToEndAsync();
            double? firstStep = null;
            for (string? line; (line = process.StandardOutput.ReadLine()) is not null;)
            {
                if (firstStep is null && line.Contains("\"event\":\"step\"", StringComparison.Ordinal)) firstStep = launched.Elapsed.TotalSeconds;
            }
            process.WaitForExit();
            TestContext.Out.WriteLine(FormattableString.Invariant($"first step {firstStep:F2} s after launching `bszo finetune` (1000/500/1000 examples, zero-shot dev and test scored first)"));
        }
        TestContext.Out.WriteLine(FormattableString.Invariant($"load average while measuring: {File.ReadAllText("/proc/loadavg").Trim()}"));
    }
}
