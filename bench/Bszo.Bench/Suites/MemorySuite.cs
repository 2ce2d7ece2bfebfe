using System.Text;
using System.Text.Json.Nodes;
using Bszo.Bench.Measure;
using Bszo.Bench.Probes;
using Bszo.Bench.Reports;
using Bszo.Bench.Setup;
using ScottPlot;

namespace Bszo.Bench.Suites;

/// <summary>
/// Peak resident memory of every configuration on the same model and batch, each in its own
/// process: plain ONNX Runtime inference, Bszo with each optimizer, PyTorch MeZO and PyTorch Adam.
/// </summary>
public static class MemorySuite
{
    public static void Run(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var spec in settings.Workloads)
        {
            using var workload = PreparedWorkload.Create(spec, settings);
            var machine = MachineInfo.Describe();
            var loadBefore = LoadAverage.Now();
            var results = Measure(workload, settings);
            var torch = results.FirstOrDefault(r => r.Torch is not null);
            machine = machine with { Torch = torch?.Torch, TorchBlas = torch?.BlasDescription };
            var report = new MemoryReport(workload.Workload, machine, loadBefore, LoadAverage.Now(), settings, results);
            ReportFiles.Write(settings.Out, $"memory-{workload.Workload.Id}", report.Markdown(), report.Json(), report.Chart(), settings.Log);
        }
    }

    /// <summary>Runs every configuration of one workload, one process each, one after another.</summary>
    public static List<ProbeResult> Measure(PreparedWorkload workload, BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(settings);
        var results = new List<ProbeResult>();
        void Add(ProbeResult r)
        {
            settings.Log(r.Ok
                ? Format.Invariant($"{workload.Workload.Id}: {r.Configuration}: peak {Format.MiB(r.PeakBytes)} MiB, step {Format.Seconds(r.MedianStep)} s")
                : $"{workload.Workload.Id}: {r.Configuration}: {r.Status}");
            results.Add(r);
        }

        settings.Log($"{workload.Workload.Id}: {InferenceProbe.Configuration}");
        Add(ProbeRunner.Measure(workload, ProbeRunner.Request(workload, "inference", settings, [], settings.MemorySteps), InferenceProbe.Configuration));
        bool onCuda = Bszo.Ort.Runtime.ExecutionDevice.Parse(settings.Device).Kind == "cuda";
        foreach (var optimizer in BenchSettings.Optimizers)
        {
            if (onCuda && !Bszo.Ort.Optimizers.OptimizerCatalog.Get(optimizer).RunsOnDevice)
            {
                Add(ProbeResult.Failed($"bszo-{optimizer}", "not run: this method keeps its state in host memory, so it cannot train weights on the GPU"));
                continue;
            }
            settings.Log($"{workload.Workload.Id}: bszo-{optimizer}");
            Add(ProbeRunner.Measure(workload, ProbeRunner.Request(workload, "train", settings, [optimizer], settings.MemorySteps), $"bszo-{optimizer}"));
        }
        if (workload.FullHead is not null)
        {
            // The same steps with the LM head over every position: what the scored-positions head saves.
            foreach (var optimizer in BenchSettings.FullHeadOptimizers)
            {
                var request = ProbeRunner.Request(workload, "train", settings, [optimizer], settings.MemorySteps, fullHead: true);
                settings.Log($"{workload.Workload.Id}: {request.Label}");
                Add(ProbeRunner.Measure(workload, request, request.Label!));
            }
        }
        foreach (var method in new[] { "mezo", "adam" })
        {
            if (!settings.Torch || onCuda || workload.Workload.Prompt)
            {
                Add(ProbeResult.Failed($"pytorch-{method}", !settings.Torch ? "not run: --no-torch"
                    : onCuda ? "not run: the PyTorch reference (Debian's torch) runs on the CPU only" : TorchReference.NoPromptProtocol));
                continue;
            }
            settings.Log($"{workload.Workload.Id}: pytorch-{method}");
            Add(TorchReference.Run(workload.Workload, workload.Batch, method, settings.MemorySteps, settings.Warmup, settings.Threads, settings.Python, workload.Directory));
        }
        return results;
    }
}
