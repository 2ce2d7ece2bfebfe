using System.Text;
using System.Text.Json.Nodes;
using Bszo.Bench.Measure;
using Bszo.Bench.Probes;
using Bszo.Bench.Setup;
using ScottPlot;

namespace Bszo.Bench.Reports;

/// <summary>The speed suite's result for one workload, as Markdown, JSON and a chart.</summary>
/// <remarks>
/// <paramref name="torch"/> holds PyTorch MeZO with OpenBLAS's own kernels first (the reference the
/// verdicts quote), then, where the environment overrides them, with its override.
/// </remarks>
public sealed class SpeedReport(Workload workload, MachineInfo machine, BenchSettings settings, SpeedResult bszo, IReadOnlyList<ProbeResult> torch, LoadAverage loadAfter)
{
    /// <summary>The target: sweeps take at most this fraction of the forward time (OPT-125m shape).</summary>
    public const double SweepTarget = 0.05;

    /// <summary>The targets for the sweep's memory traffic, as fractions of the copy roofline: Gaussian and Rademacher directions.</summary>
    public const double GaussianRooflineTarget = 0.50, RademacherRooflineTarget = 0.70;

    /// <summary>The target: a BSZO step costs at most this multiple of plain inference's time for its forward passes.</summary>
    public const double BszoStepTarget = 1.12;

    /// <summary>The target: Bszo's MeZO step at least this many times faster than PyTorch MeZO's.</summary>
    public const double TorchTarget = 3.5;

    /// <summary>The target on prompt workloads: the scored-positions LM head at least this fraction below the full head's step time.</summary>
    public const double PromptStepTarget = 0.25;

    /// <summary>Derived numbers of one row.</summary>
    public sealed record Row(string Configuration, int ForwardsPerStep, double StepSeconds, double ForwardSeconds, double SweepSeconds,
        double SweepsPerStep, double StreamsPerStep, double InferenceForward, long Parameters, double Roofline)
    {
        public double ForwardsPerSecond => ForwardsPerStep / StepSeconds;

        /// <summary>Step time over the time plain inference needs for the same forward passes.</summary>
        public double Overhead => StepSeconds / (ForwardsPerStep * InferenceForward);

        /// <summary>Sweep time as a fraction of forward time, per step.</summary>
        public double SweepShare => SweepSeconds / ForwardSeconds;

        /// <summary>Noise values generated per second (stream-elements: elements × streams of each sweep).</summary>
        public double StreamElementsPerSecond => StreamsPerStep * Parameters / SweepSeconds;

        /// <summary>Sweep memory traffic, read + write, GB/s.</summary>
        public double SweepGbps => SweepsPerStep * Parameters * 8.0 / SweepSeconds / 1e9;

        public double OtherSeconds => Math.Max(0, StepSeconds - ForwardSeconds - SweepSeconds);
    }

    public double InferenceForward => Stats.Median(bszo.InferenceForwardSeconds);

    /// <summary>Plain inference without pre-packed MatMul weights (NaN in results written before it was measured).</summary>
    public double InferenceNoPrepack => Stats.Median(bszo.InferenceNoPrepackSeconds);

    /// <summary>Plain inference under Bszo's session settings, pre-packing on (NaN in results written before it was measured).</summary>
    public double InferenceBszoSettings => Stats.Median(bszo.InferenceBszoSettingsSeconds);

    public double BszoForward => Stats.Median(bszo.BszoForwardSeconds);

    /// <summary>Prompt workloads: one pass of the training graph with the LM head over every position (NaN otherwise).</summary>
    public double FullHeadForward => bszo.FullHeadForwardSeconds.Count > 0 ? Stats.Median(bszo.FullHeadForwardSeconds) : double.NaN;

    public double Roofline => 0.5 * (bszo.CopyGbpsBefore + bszo.CopyGbpsAfter);

    public IReadOnlyList<Row> Rows()
    {
        var rows = bszo.Methods.Select(m => new Row(m.Name, m.ForwardsPerStep, Stats.Median(m.StepSeconds), Stats.Median(m.ForwardSeconds), Stats.Median(m.SweepSeconds),
            m.SweepsPerStep, m.StreamsPerStep, InferenceForward, bszo.Parameters, Roofline)).ToList();
        foreach (var t in torch.Where(t => t.Ok))
        {
            // PyTorch MeZO: four z regenerations per step (three perturbations and the update), each a pass over all weights.
            rows.Add(new Row(t.Configuration, t.ForwardsPerStep, t.MedianStep, Stats.Median(t.ForwardSeconds), Stats.Median(t.SweepSeconds),
                4, 4, InferenceForward, t.Parameters, Roofline));
        }
        return rows;
    }

    public IEnumerable<string> Verdicts()
    {
        var rows = Rows();
        yield return Format.Invariant($"Bszo's training graph takes {BszoForward / InferenceForward:F2}× plain inference's forward time ({Format.Seconds(BszoForward)} vs {Format.Seconds(InferenceForward)} s).");
        if (double.IsFinite(InferenceNoPrepack) && double.IsFinite(InferenceBszoSettings))
        {
            yield return Format.Invariant($"Where that goes: plain inference without pre-packed MatMul weights takes {InferenceNoPrepack / InferenceForward:F2}× its usual time, under Bszo's session settings (no spinning threads, no memory pattern) {InferenceBszoSettings / InferenceForward:F2}×; the training graph against inference without pre-packing (the loss head, weights bound as inputs, Bszo's settings): {BszoForward / InferenceNoPrepack:F2}×.");
        }
        if (double.IsFinite(FullHeadForward))
        {
            yield return Format.Invariant($"The LM head only at the scored positions: a training-graph pass takes {Format.Seconds(BszoForward)} s against {Format.Seconds(FullHeadForward)} s with the head over every position ({Format.Percent(1 - BszoForward / FullHeadForward)} less).");
        }
        foreach (var name in new[] { "mezo", "bszo", "mezo" + ProbeRequest.RademacherSuffix, "bszo" + ProbeRequest.RademacherSuffix })
        {
            var r = rows.FirstOrDefault(x => x.Configuration == name);
            if (r is null) continue;
            bool rademacher = name.EndsWith(ProbeRequest.RademacherSuffix, StringComparison.Ordinal);
            double target = rademacher ? RademacherRooflineTarget : GaussianRooflineTarget;
            double share = r.SweepGbps / Roofline;
            yield return Format.Invariant($"{name}: sweeps take {Format.Percent(r.SweepShare)} of forward time (target ≤ {Format.Percent(SweepTarget)}: **{Met(r.SweepShare <= SweepTarget)}**); {r.StreamsPerStep:F0} noise streams per step at {r.StreamElementsPerSecond / 1e6:F0} M values/s on {bszo.Threads} threads; {r.SweepGbps:F1} GB/s of traffic = {Format.Percent(share)} of the {Roofline:F1} GB/s copy roofline (target ≥ {Format.Percent(target)}: **{Met(share >= target)}**).");
        }
        var bszoRow = rows.FirstOrDefault(x => x.Configuration == "bszo");
        if (bszoRow is not null)
        {
            yield return Format.Invariant($"BSZO step ≤ {BszoStepTarget:F2}× plain inference for its {bszoRow.ForwardsPerStep} passes: {bszoRow.Overhead:F2}×, **{Met(bszoRow.Overhead <= BszoStepTarget)}**.");
        }
        foreach (var name in BenchSettings.FullHeadOptimizers)
        {
            var scored = rows.FirstOrDefault(x => x.Configuration == name);
            var full = rows.FirstOrDefault(x => x.Configuration == $"{name} {ProbeRunner.FullHeadSuffix}");
            if (scored is null || full is null) continue;
            double saved = 1 - scored.StepSeconds / full.StepSeconds;
            yield return Format.Invariant($"{name} on the prompt task: {Format.Seconds(scored.StepSeconds)} s per step against {Format.Seconds(full.StepSeconds)} s with the LM head over every position, {Format.Percent(saved)} less (target ≥ {Format.Percent(PromptStepTarget)}: **{Met(saved >= PromptStepTarget)}**).");
        }
        var mezo = rows.FirstOrDefault(x => x.Configuration == "mezo");
        for (int i = 0; i < torch.Count; i++)
        {
            var t = torch[i];
            var torchRow = rows.FirstOrDefault(x => x.Configuration == t.Configuration);
            if (mezo is null || torchRow is null)
            {
                yield return $"{t.Configuration}: {t.Status}";
                continue;
            }
            double speedup = torchRow.StepSeconds / mezo.StepSeconds;
            string against = Format.Invariant($"{Format.Seconds(mezo.StepSeconds)} vs {Format.Seconds(torchRow.StepSeconds)} s per step, forward passes {Format.Seconds(mezo.ForwardSeconds)} vs {Format.Seconds(torchRow.ForwardSeconds)} s, sweeps {Format.Seconds(mezo.SweepSeconds)} vs {Format.Seconds(torchRow.SweepSeconds)} s; {t.BlasDescription}, {t.BlasGflops:F0} GFLOP/s on a 1024² matmul");
            yield return i == 0
                ? Format.Invariant($"Bszo MeZO vs PyTorch MeZO with OpenBLAS's own kernels: **{speedup:F2}× faster** (target ≥ {TorchTarget:F1}×: **{Met(speedup >= TorchTarget)}**; {against}).")
                : Format.Invariant($"Against {t.Configuration} instead: {speedup:F2}× ({against}); not the fair comparison, shown because the environment sets it.");
        }
    }

    private static string Met(bool met) => met ? "met" : "missed";

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine(Format.Invariant($"# Step speed: {workload.Model.Name}, batch {workload.Batch} × {workload.Sequence} tokens"));
        text.AppendLine();
        text.AppendLine(machine.Provenance(settings.CommandLine, Format.Invariant($"before: {bszo.LoadBefore}, after the Bszo rounds: {bszo.LoadAfter}, after PyTorch: {loadAfter}")));
        text.AppendLine();
        text.AppendLine(Format.Invariant($"Bszo's configurations ran in one process, interleaved: {bszo.Warmup} warm-up and {bszo.Rounds} measured rounds, each round two forward passes of each kind (plain inference as ONNX Runtime runs it by default, without pre-packing, and under Bszo's session settings; Bszo's training graph) and one step of every optimizer, starting at a different item each round. PyTorch MeZO ran right after, in its own process ({settings.Warmup} warm-up + {settings.SpeedRounds} steps), with OpenBLAS choosing its kernels for this CPU (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment) and, where this environment sets them, once more with them. All use {bszo.Threads} threads. Times are medians; {Format.Count(bszo.Parameters)} trainable parameters."));
        text.AppendLine();
        var table = new MarkdownTable("configuration", "fwd/step", "step s", "forwards/s", "× inference", "forward s/step", "sweep s/step", "sweep share", "sweeps/step", "noise M values/s", "sweep GB/s", "roofline GB/s");
        table.Row("plain inference (per pass)", "1", Format.Seconds(InferenceForward), Format.Fixed(1 / InferenceForward, 2), "1.00×", Format.Seconds(InferenceForward));
        if (double.IsFinite(InferenceNoPrepack))
        {
            table.Row("plain inference, no pre-packing (per pass)", "1", Format.Seconds(InferenceNoPrepack), Format.Fixed(1 / InferenceNoPrepack, 2),
                Format.Ratio(InferenceNoPrepack / InferenceForward), Format.Seconds(InferenceNoPrepack));
        }
        if (double.IsFinite(InferenceBszoSettings))
        {
            table.Row("plain inference, Bszo's session settings (per pass)", "1", Format.Seconds(InferenceBszoSettings), Format.Fixed(1 / InferenceBszoSettings, 2),
                Format.Ratio(InferenceBszoSettings / InferenceForward), Format.Seconds(InferenceBszoSettings));
        }
        table.Row("Bszo training graph (per pass)", "1", Format.Seconds(BszoForward), Format.Fixed(1 / BszoForward, 2), Format.Ratio(BszoForward / InferenceForward), Format.Seconds(BszoForward));
        if (double.IsFinite(FullHeadForward))
        {
            table.Row($"Bszo training graph {ProbeRunner.FullHeadSuffix} (per pass)", "1", Format.Seconds(FullHeadForward), Format.Fixed(1 / FullHeadForward, 2),
                Format.Ratio(FullHeadForward / InferenceForward), Format.Seconds(FullHeadForward));
        }
        foreach (var r in Rows())
        {
            table.Row(r.Configuration, r.ForwardsPerStep.ToString(System.Globalization.CultureInfo.InvariantCulture), Format.Seconds(r.StepSeconds), Format.Fixed(r.ForwardsPerSecond, 2),
                Format.Ratio(r.Overhead), Format.Seconds(r.ForwardSeconds), Format.Seconds(r.SweepSeconds), Format.Percent(r.SweepShare), Format.Fixed(r.SweepsPerStep, 1),
                Format.Fixed(r.StreamElementsPerSecond / 1e6, 0), Format.Fixed(r.SweepGbps, 2), Format.Fixed(Roofline, 1));
        }
        foreach (var t in torch.Where(t => !t.Ok)) table.Row(t.Configuration, t.Status);
        text.Append(table);
        text.AppendLine();
        text.AppendLine(Format.Invariant($"*× inference*: step time over the time plain inference needs for the step's forward passes. *Sweep share*: sweep time over forward time per step. *Noise values/s*: values of z generated per second (elements × streams of each sweep), Gaussian unless the configuration ends in +rademacher; for SubZero a stream is a low-rank product, so its rate is not comparable. *(full LM head)*: on prompt workloads, the same model prepared with the LM head over every position, as before the head ran only where the loss reads it. *Sweep GB/s*: bytes read and written by the sweeps per second; *roofline*: a memory copy between two {bszo.CopyBytes >> 20} MiB buffers on {bszo.Threads} threads, read + written bytes per second, measured before and after the rounds (mean). For PyTorch MeZO, *sweeps* are its four passes that draw z with torch.normal and add it in place."));
        text.AppendLine();
        text.AppendLine("## Targets");
        text.AppendLine();
        foreach (var line in Verdicts()) text.Append("- ").AppendLine(line);
        return text.ToString();
    }

    public JsonNode Json() => new JsonObject
    {
        ["suite"] = "speed",
        ["workload"] = new JsonObject { ["model"] = workload.Model.Name, ["batch"] = workload.Batch, ["sequence"] = workload.Sequence, ["prompt"] = workload.Prompt },
        ["command"] = settings.CommandLine,
        ["machine"] = ReportFiles.ToNode(machine),
        ["load_after"] = ReportFiles.ToNode(loadAfter),
        ["inference_forward_median"] = InferenceForward,
        ["inference_no_prepack_forward_median"] = double.IsFinite(InferenceNoPrepack) ? InferenceNoPrepack : null,
        ["inference_bszo_settings_forward_median"] = double.IsFinite(InferenceBszoSettings) ? InferenceBszoSettings : null,
        ["bszo_forward_median"] = BszoForward,
        ["full_head_forward_median"] = double.IsFinite(FullHeadForward) ? FullHeadForward : null,
        ["copy_roofline_gbps"] = Roofline,
        ["rows"] = ReportFiles.ToNode(Rows().Select(r => new
        {
            r.Configuration, r.ForwardsPerStep, r.StepSeconds, r.ForwardSeconds, r.SweepSeconds, r.SweepsPerStep, r.StreamsPerStep,
            r.ForwardsPerSecond, r.Overhead, r.SweepShare, r.StreamElementsPerSecond, r.SweepGbps,
        }).ToList()),
        ["verdicts"] = new JsonArray(Verdicts().Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
        ["bszo"] = ReportFiles.ToNode(bszo),
        ["pytorch"] = ReportFiles.ToNode(torch),
    };

    public Plot Chart()
    {
        var rows = Rows();
        var categories = rows.Select(r => Format.Invariant($"{r.Configuration} ({r.ForwardsPerStep} fwd)")).ToList();
        double[] PerPass(Func<Row, double> f) => rows.Select(r => f(r) / r.ForwardsPerStep).ToArray();
        return Charts.StackedBars(Format.Invariant($"Time per forward pass, {workload.Model.Name}, batch {workload.Batch} × {workload.Sequence} ({bszo.Threads} threads)"), "seconds per forward pass",
            categories,
            [
                new Charts.Segment("forward passes", Colors.SteelBlue, PerPass(r => r.ForwardSeconds)),
                new Charts.Segment("weight sweeps (perturb, restore, update)", Colors.DarkOrange, PerPass(r => r.SweepSeconds)),
                new Charts.Segment("other", Colors.Gray, PerPass(r => r.OtherSeconds)),
            ],
            [(InferenceForward, "plain ONNX Runtime inference, one pass")]);
    }
}
