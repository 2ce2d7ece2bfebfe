using Bszo.Bench.Measure;
using Bszo.Bench.Probes;
using Bszo.Bench.Reports;
using Bszo.Bench.Setup;

namespace Bszo.Bench.Suites;

/// <summary>
/// Step time of every optimizer next to plain inference doing the same forward passes, sweep time
/// and bandwidth against the memory-copy roofline, and PyTorch MeZO's step on the same model, all in
/// the same run.
/// </summary>
public static class SpeedSuite
{
    public static void Run(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        RequireRelease(settings);
        foreach (var spec in settings.Workloads)
        {
            using var workload = PreparedWorkload.Create(spec, settings);
            var machine = MachineInfo.Describe();
            settings.Log($"{workload.Workload.Id}: speed probe ({settings.Warmup} warm-up + {settings.SpeedRounds} rounds)");
            var bszo = ProbeRunner.MeasureSpeed(workload, ProbeRunner.Request(workload, "speed", settings, BenchSettings.SpeedOptimizers, settings.SpeedRounds));
            // PyTorch MeZO with OpenBLAS's own kernels (the fair reference, quoted), then as this environment overrides them.
            List<ProbeResult> torch;
            if (workload.Workload.Prompt)
            {
                torch = [ProbeResult.Failed("pytorch-mezo", TorchReference.NoPromptProtocol)];
            }
            else if (settings.Torch)
            {
                torch = [];
                foreach (bool keepOverride in new[] { false, true })
                {
                    settings.Log($"{workload.Workload.Id}: pytorch-mezo{(keepOverride ? " " + TorchReference.OverrideSuffix : "")} ({settings.Warmup} warm-up + {settings.SpeedRounds} steps)");
                    torch.Add(TorchReference.Run(workload.Workload, workload.Batch, "mezo", settings.SpeedRounds, settings.Warmup, settings.Threads, settings.Python, workload.Directory, keepOverride));
                }
            }
            else
            {
                torch = [ProbeResult.Failed("pytorch-mezo", "not run: --no-torch")];
            }
            machine = machine with { Torch = torch[0].Torch, TorchBlas = torch[0].BlasDescription };
            var report = new SpeedReport(workload.Workload, machine, settings, bszo, torch, LoadAverage.Now());
            foreach (var line in report.Verdicts()) settings.Log($"{workload.Workload.Id}: {line}");
            ReportFiles.Write(settings.Out, $"speed-{workload.Workload.Id}", report.Markdown(), report.Json(), report.Chart(), settings.Log);
        }
    }

    /// <summary>Timings of a Debug build say nothing (the JIT optimiser is off: kernels run ~10× slower); only the smoke run accepts one.</summary>
    public static void RequireRelease(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Smoke || MachineInfo.Describe().Build == "Release") return;
        Throw.Bszo("The benchmark harness is a Debug build.", "a Release build", "Debug",
            "run it with `dotnet run -c Release --project bench/Bszo.Bench -- ...` (Debug builds disable JIT optimisation).");
    }
}
