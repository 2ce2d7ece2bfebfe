using System.Text.Json.Nodes;
using Bszo.Bench.Probes;
using Bszo.Tests.Support;

namespace Bszo.Tests.Bench;

/// <summary>
/// The benchmark harness (bench/Bszo.Bench) end to end on tiny configurations: that every suite
/// runs and writes its files, and that all configurations measured the same model on the same batch.
/// No timing is checked: these runs share the machine with the rest of the suite.
/// </summary>
public class BenchHarnessTests
{
    [Test]
    public void Smoke_run_measures_every_configuration_and_writes_every_report()
    {
        using var temp = new TempDirectory();
        var (exit, output, error) = ChildProcess.Run("dotnet", [BenchAssembly, "smoke", "--out", temp.Path], TimeSpan.FromMinutes(5));
        Assert.That(exit, Is.Zero, error + output);

        foreach (var name in new[] { "memory-opt-tiny-b2-s16", "speed-opt-tiny-b2-s16", "memory-opt-tiny-b2-s16-prompt", "speed-opt-tiny-b2-s16-prompt", "kernels" })
        {
            foreach (var extension in new[] { "md", "json", "png" })
            {
                Assert.That(File.Exists(temp[$"{name}.{extension}"]), Is.True, $"{name}.{extension} was not written");
            }
        }
        Assert.That(File.Exists(temp["summary.md"]), Is.True);

        var memory = JsonNode.Parse(File.ReadAllText(temp["memory-opt-tiny-b2-s16.json"]))!;
        var results = memory["results"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.That(results.Select(r => (string)r["configuration"]!), Is.EquivalentTo(new[]
        {
            "ort-inference", "bszo-mezo", "bszo-subzero", "bszo-bszo", "bszo-bszo-b", "pytorch-mezo", "pytorch-adam",
        }));
        Assert.That(results.Select(r => (string)r["status"]!), Is.All.EqualTo("ok"), memory.ToJsonString());
        Assert.That(results.Select(r => (long)r["peak_bytes"]!), Is.All.GreaterThan(0));
        Assert.That(memory["machine"]!["cpu"], Is.Not.Null);

        // Bszo's training graph and the PyTorch references read the same weights and batch: the
        // loss at the loaded weights is the same number (the decoders' mean next-token cross-entropy).
        var losses = results.Where(r => r["initial_loss"] is not null).Select(r => (double)r["initial_loss"]!).ToList();
        Assert.That(losses, Has.Count.EqualTo(6));
        Assert.That(losses.Max() - losses.Min(), Is.LessThan(1e-4));

        var speed = JsonNode.Parse(File.ReadAllText(temp["speed-opt-tiny-b2-s16.json"]))!;
        var speedRows = new List<string> { "mezo", "subzero", "bszo", "bszo-b", "mezo+rademacher", "bszo+rademacher", "pytorch-mezo" };
        // Where this environment sets an OpenBLAS override, PyTorch MeZO is measured a second time with it.
        if (TorchReference.OpenBlasOverrides.Any(v => Environment.GetEnvironmentVariable(v) is not null)) speedRows.Add($"pytorch-mezo {TorchReference.OverrideSuffix}");
        Assert.That(speed["rows"]!.AsArray().Select(r => (string)r!["configuration"]!), Is.EquivalentTo(speedRows));
        Assert.That((double)speed["copy_roofline_gbps"]!, Is.GreaterThan(0));

        // The prompt task: every method with the LM head only at the scored positions, MeZO and BSZO also with it over every position.
        var promptMemory = JsonNode.Parse(File.ReadAllText(temp["memory-opt-tiny-b2-s16-prompt.json"]))!["results"]!.AsArray().Select(r => r!.AsObject()).ToList();
        var measured = promptMemory.Where(r => (string)r["status"]! == "ok").ToList();
        Assert.That(measured.Select(r => (string)r["configuration"]!), Is.EquivalentTo(new[]
        {
            "ort-inference", "bszo-mezo", "bszo-subzero", "bszo-bszo", "bszo-bszo-b", "bszo-mezo (full LM head)", "bszo-bszo (full LM head)",
        }));
        var promptLosses = measured.Where(r => r["initial_loss"] is not null).Select(r => (double)r["initial_loss"]!).ToList();
        Assert.That(promptLosses.Max() - promptLosses.Min(), Is.LessThan(1e-5), "both heads compute the same loss");
        var promptSpeed = JsonNode.Parse(File.ReadAllText(temp["speed-opt-tiny-b2-s16-prompt.json"]))!;
        Assert.That(promptSpeed["rows"]!.AsArray().Select(r => (string)r!["configuration"]!), Is.SupersetOf(new[] { "mezo (full LM head)", "bszo (full LM head)" }));
        Assert.That((double?)promptSpeed["full_head_forward_median"], Is.GreaterThan(0));

        // Gaussian and Rademacher sweeps on every path the CPU runs in hardware, beside the reference, the RNG and the copies.
        var kernels = JsonNode.Parse(File.ReadAllText(temp["kernels.json"]))!;
        int paths = new[] { Bszo.Ort.Perturbation.KernelPath.Avx2, Bszo.Ort.Perturbation.KernelPath.Avx512 }.Count(Bszo.Ort.Perturbation.KernelPaths.IsHardwareAccelerated);
        Assert.That(kernels["rows"]!.AsArray(), Has.Count.EqualTo(5 + 4 * Math.Max(1, paths)));
    }

    [Test]
    public void Tiny_accuracy_plan_runs_every_method_and_seed_through_bszo_finetune()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 600, seed: 3);
        var (exit, output, error) = ChildProcess.Run("dotnet",
        [
            BenchAssembly, "accuracy", "--tiny", "--work", temp["runs"], "--out", temp["out"], "--model", model, "--threads", "1",
            "--", "--task", "custom", "--data", data, "--template", FeatureModel.Template, "--verbalizer", FeatureModel.Verbalizer,
        ], TimeSpan.FromMinutes(5));
        Assert.That(exit, Is.Zero, error + output);

        var report = JsonNode.Parse(File.ReadAllText(temp["out/accuracy-tiny.json"]))!;
        var runs = report["runs"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.That(runs, Has.Count.EqualTo(8)); // 4 methods × 2 seeds, each method at the first rate of its grid
        // Equal forward-pass budgets: 48 passes whatever the method's passes per step.
        Assert.That(runs.Select(r => (long)r["forward_passes"]!), Is.All.EqualTo(48));
        Assert.That(runs.Select(r => r["curve"]!.AsArray().Count), Is.All.GreaterThanOrEqualTo(2));
        Assert.That(report["chosen_rates"]!.AsArray(), Has.Count.EqualTo(4));
        var markdown = File.ReadAllText(temp["out/accuracy-tiny.md"]);
        Assert.That(markdown, Does.Contain("grid diverged").And.Contain("ε = 0.0001 for every method"));
        Assert.That(File.Exists(temp["out/accuracy-tiny.png"]), Is.True);

        // A second call finds every run finished and reuses it.
        var again = ChildProcess.Run("dotnet",
        [
            BenchAssembly, "accuracy", "--tiny", "--work", temp["runs"], "--out", temp["out"], "--model", model, "--threads", "1",
            "--", "--task", "custom", "--data", data, "--template", FeatureModel.Template, "--verbalizer", FeatureModel.Verbalizer,
        ], TimeSpan.FromMinutes(2));
        Assert.That(again.ExitCode, Is.Zero, again.Error);
        Assert.That(again.Output, Does.Contain("finished earlier, reusing"));
    }

    private static string BenchAssembly => Repository.BuiltAssembly(Path.Combine("bench", "Bszo.Bench"), "Bszo.Bench.dll");
}
