using System.Text;
using System.Text.Json.Nodes;
using Bszo.Bench.Measure;
using Bszo.Bench.Probes;
using Bszo.Bench.Setup;
using ScottPlot;

namespace Bszo.Bench.Reports;

/// <summary>The memory suite's result for one workload, as Markdown, JSON and a chart.</summary>
public sealed class MemoryReport(Workload workload, MachineInfo machine, LoadAverage loadBefore, LoadAverage loadAfter, BenchSettings settings, IReadOnlyList<ProbeResult> results)
{
    /// <summary>The target: BSZO's peak at most this multiple of plain inference's.</summary>
    public const double PeakTarget = 1.05;

    /// <summary>The target on prompt workloads: the scored-positions LM head at least this fraction below the full head's peak.</summary>
    public const double PromptPeakTarget = 0.25;

    private ProbeResult? Find(string configuration) => results.FirstOrDefault(r => r.Configuration == configuration && r.Ok);

    private double InferencePeak => Find(InferenceProbe.Configuration)?.PeakBytes ?? double.NaN;

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine(Format.Invariant($"# Peak memory: {workload.Model.Name}, batch {workload.Batch} × {workload.Sequence} tokens"));
        text.AppendLine();
        text.AppendLine(machine.Provenance(settings.CommandLine, Format.Invariant($"before: {loadBefore}, after: {loadAfter}")));
        text.AppendLine();
        text.AppendLine(Format.Invariant($"Each configuration ran in its own process on the same weights ({Format.Count(results.FirstOrDefault(r => r.Ok)?.Parameters ?? 0)} parameters, fp32) and the same batch: load, one forward pass at the loaded weights, {settings.Warmup} warm-up step(s), {settings.MemorySteps} measured steps, {settings.Threads} threads. *Peak* is the process's VmHWM from /proc/self/status (loading included); *after load* is VmRSS once weights and sessions exist; *steps' peak* is VmHWM over the measured steps alone (reset before them). Step times here come from a few steps in separate processes: the speed results are the ones to compare."));
        text.AppendLine();
        bool device = results.Any(r => r.DevicePeakBytes is not null);
        string[] columns = ["configuration", "peak RSS MiB", "× inference", "after load MiB", "steps' peak MiB", "step s", "forwards/s", "sweep share", "initial loss"];
        var table = new MarkdownTable(device ? [.. columns, $"{settings.Device} peak MiB", "× inference (device)"] : columns);
        double inferenceDevicePeak = Find(InferenceProbe.Configuration)?.DevicePeakBytes ?? double.NaN;
        foreach (var r in results)
        {
            if (!r.Ok)
            {
                table.Row(r.Configuration, r.Status);
                continue;
            }
            double forward = Stats.Median(r.ForwardSeconds), sweep = Stats.Median(r.SweepSeconds);
            string[] cells =
            [
                r.Configuration, Format.MiB(r.PeakBytes), Format.Ratio(r.PeakBytes / InferencePeak), Format.MiB(r.MemoryLoaded?.Rss), Format.MiB(r.RunPeakBytes),
                Format.Seconds(r.MedianStep), Format.Fixed(r.ForwardsPerStep / r.MedianStep, 2),
                r.SweepSeconds.Count > 0 ? Format.Percent(sweep / forward) : Format.None, r.InitialLoss is double l ? Format.Fixed(l, 5) : Format.None,
            ];
            table.Row(device ? [.. cells, Format.MiB(r.DevicePeakBytes), r.DevicePeakBytes is long d ? Format.Ratio(d / inferenceDevicePeak) : Format.None] : cells);
        }
        text.Append(table);
        if (device)
        {
            text.AppendLine();
            text.AppendLine(Format.Invariant($"*{settings.Device} peak*: the GPU's used memory (nvidia-smi, every 100 ms) at its highest while the configuration's process ran, less what was in use before it started."));
        }
        text.AppendLine();
        text.AppendLine("*Sweep share*: time in weight sweeps (perturb, restore, update) over time in forward passes, per step. *Forwards/s*: forward passes per step over the step time.");
        text.AppendLine();
        text.AppendLine("## Targets");
        text.AppendLine();
        foreach (var line in Verdicts()) text.Append("- ").AppendLine(line);
        text.AppendLine();
        text.AppendLine("## Where the peak comes from");
        text.AppendLine();
        var split = new MarkdownTable("configuration", "weights MiB", "after load MiB", "anon / file MiB after load", "peak − after load MiB", "max RSS in forward passes MiB", "max RSS in sweeps MiB");
        foreach (var r in results.Where(r => r.Ok))
        {
            long weights = r.Parameters * sizeof(float);
            split.Row(r.Configuration, Format.MiB(weights), Format.MiB(r.MemoryLoaded?.Rss),
                r.MemoryLoaded is { } m ? $"{Format.MiB(m.Anon)} / {Format.MiB(m.File)}" : Format.None,
                Format.MiB(r.PeakBytes - (r.MemoryLoaded?.Rss ?? 0)), Format.MiB(MaxIn(r, "forward")), Format.MiB(MaxIn(r, "sweep")));
        }
        text.Append(split);
        text.AppendLine();
        text.AppendLine(Format.Invariant($"*Peak − after load* is what running adds to the loaded process: activations, the output or loss head, arena growth, and for PyTorch MeZO the z tensor of the largest parameter. The last two columns come from sampling VmRSS every {settings.SampleMilliseconds} ms (PyTorch is not sampled)."));
        return text.ToString();
    }

    /// <summary>The verdicts on the memory targets, as sentences.</summary>
    public IEnumerable<string> Verdicts()
    {
        var bszo = Find("bszo-bszo");
        var mezoTorch = Find("pytorch-mezo");
        if (bszo is not null && double.IsFinite(InferencePeak))
        {
            double ratio = bszo.PeakBytes / InferencePeak;
            yield return Format.Invariant($"BSZO peak ≤ {PeakTarget:F2}× plain inference: **{(ratio <= PeakTarget ? "met" : "missed")}** ({Format.MiB(bszo.PeakBytes)} vs {Format.MiB((long)InferencePeak)} MiB, {ratio:F2}×).");
        }
        if (bszo is not null && mezoTorch is not null)
        {
            yield return Format.Invariant($"BSZO peak below PyTorch MeZO's: **{(bszo.PeakBytes < mezoTorch.PeakBytes ? "met" : "missed")}** ({Format.MiB(bszo.PeakBytes)} vs {Format.MiB(mezoTorch.PeakBytes)} MiB, {(double)bszo.PeakBytes / mezoTorch.PeakBytes:F2}×).");
        }
        foreach (var name in BenchSettings.FullHeadOptimizers)
        {
            var scored = Find($"bszo-{name}");
            var full = Find($"bszo-{name} {ProbeRunner.FullHeadSuffix}");
            if (scored is null || full is null) continue;
            double saved = 1 - (double)scored.PeakBytes / full.PeakBytes;
            yield return Format.Invariant($"{name} on the prompt task, LM head only at the scored positions: peak {Format.MiB(scored.PeakBytes)} MiB against {Format.MiB(full.PeakBytes)} MiB with the head over every position, {Format.Percent(saved)} less (target ≥ {Format.Percent(PromptPeakTarget)}: **{(saved >= PromptPeakTarget ? "met" : "missed")}**).");
        }
        var losses = results.Where(r => r.Ok && r.InitialLoss is not null).Select(r => (r.Configuration, Loss: r.InitialLoss!.Value)).ToList();
        if (losses.Count > 1)
        {
            double spread = losses.Max(l => l.Loss) - losses.Min(l => l.Loss);
            yield return Format.Invariant($"Same weights and batch: the initial losses of {losses.Count} configurations (Bszo's training graph and PyTorch) differ by at most {spread:E1}.");
        }
    }

    public JsonNode Json() => new JsonObject(ReportFiles.Header("memory", settings, machine, loadBefore, loadAfter))
    {
        ["workload"] = new JsonObject { ["model"] = workload.Model.Name, ["batch"] = workload.Batch, ["sequence"] = workload.Sequence, ["prompt"] = workload.Prompt, ["model_directory"] = workload.Model.Card.Directory },
        ["settings"] = new JsonObject { ["steps"] = settings.MemorySteps, ["warmup"] = settings.Warmup, ["threads"] = settings.Threads, ["sample_ms"] = settings.SampleMilliseconds },
        ["verdicts"] = new JsonArray(Verdicts().Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
        ["results"] = new JsonArray(results.Select(r => (JsonNode?)ReportFiles.ToNode(r)).ToArray()),
    };

    public Plot Chart()
    {
        var ok = results.Where(r => r.Ok).ToList();
        var categories = ok.Select(r => r.Configuration).ToList();
        var loaded = ok.Select(r => (r.MemoryLoaded?.Rss ?? 0) / 1048576.0).ToArray();
        var running = ok.Select(r => (r.PeakBytes - (r.MemoryLoaded?.Rss ?? 0)) / 1048576.0).ToArray();
        var lines = new List<(double, string)>();
        if (double.IsFinite(InferencePeak)) lines.Add((PeakTarget * InferencePeak / 1048576.0, Format.Invariant($"{PeakTarget:F2} × inference peak")));
        return Charts.StackedBars(Format.Invariant($"Peak RSS, {workload.Model.Name}, batch {workload.Batch} × {workload.Sequence}"), "MiB", categories,
            [new Charts.Segment("after load", Colors.SteelBlue, loaded), new Charts.Segment("added while running (to peak)", Colors.DarkOrange, running)], lines);
    }

    private static long MaxIn(ProbeResult r, string phase) =>
        r.Samples is { Count: > 0 } s && s.Any(x => x.Phase == phase) ? s.Where(x => x.Phase == phase).Max(x => x.Rss) : 0;
}
