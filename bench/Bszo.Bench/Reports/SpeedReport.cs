using System.Text;
using System.Text.Json.Nodes;
using Bszo.Bench.Measure;
using Bszo.Bench.Probes;
using Bszo.Bench.Setup;
using ScottPlot;

namespace Bszo.Bench.Reports;

/// <summary>The speed suite's result for one workload, as Markdown, JSON and a chart.</summary>
public sealed class SpeedReport(Workload workload, MachineInfo machine, BenchSettings settings, SpeedResult bszo, ProbeResult torch, LoadAverage loadAfter)
{
    /// <summary>The target: sweeps take at most this fraction of the forward time (OPT-125m shape).</summary>
    public const double SweepTarget = 0.10;

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

    public double BszoForward => Stats.Median(bszo.BszoForwardSeconds);

    public double Roofline => 0.5 * (bszo.CopyGbpsBefore + bszo.CopyGbpsAfter);

    public IReadOnlyList<Row> Rows()
    {
        var rows = bszo.Methods.Select(m => new Row(m.Name, m.ForwardsPerStep, Stats.Median(m.StepSeconds), Stats.Median(m.ForwardSeconds), Stats.Median(m.SweepSeconds),
            m.SweepsPerStep, m.StreamsPerStep, InferenceForward, bszo.Parameters, Roofline)).ToList();
        if (torch.Ok)
        {
            // PyTorch MeZO: four z regenerations per step (three perturbations and the update), each a pass over all weights.
            rows.Add(new Row(torch.Configuration, torch.ForwardsPerStep, torch.MedianStep, Stats.Median(torch.ForwardSeconds), Stats.Median(torch.SweepSeconds),
                4, 4, InferenceForward, torch.Parameters, Roofline));
        }
        return rows;
    }

    public IEnumerable<string> Verdicts()
    {
        var rows = Rows();
        yield return Format.Invariant($"Losing ONNX Runtime's prepacked weights (and adding the loss head): Bszo's training graph takes {BszoForward / InferenceForward:F2}× plain inference's forward time ({Format.Seconds(BszoForward)} vs {Format.Seconds(InferenceForward)} s).");
        foreach (var name in new[] { "mezo", "bszo" })
        {
            var r = rows.FirstOrDefault(x => x.Configuration == name);
            if (r is null) continue;
            yield return Format.Invariant($"{name}: sweeps take {Format.Percent(r.SweepShare)} of forward time (target ≤ {Format.Percent(SweepTarget)}: **{(r.SweepShare <= SweepTarget ? "met" : "missed")}**); {r.StreamsPerStep:F0} noise streams per step at {r.StreamElementsPerSecond / 1e6:F0} M values/s on {bszo.Threads} threads; {r.SweepGbps:F1} GB/s of traffic = {Format.Percent(r.SweepGbps / Roofline)} of the {Roofline:F1} GB/s copy roofline, so noise generation, not memory, bounds the sweep.");
        }
        var mezo = rows.FirstOrDefault(x => x.Configuration == "mezo");
        var torchRow = rows.FirstOrDefault(x => x.Configuration == "pytorch-mezo");
        if (mezo is not null && torchRow is not null)
        {
            yield return Format.Invariant($"Bszo MeZO vs PyTorch MeZO: {Format.Seconds(mezo.StepSeconds)} vs {Format.Seconds(torchRow.StepSeconds)} s per step, **{torchRow.StepSeconds / mezo.StepSeconds:F2}× faster** (forward passes {Format.Seconds(mezo.ForwardSeconds)} vs {Format.Seconds(torchRow.ForwardSeconds)} s, sweeps {Format.Seconds(mezo.SweepSeconds)} vs {Format.Seconds(torchRow.SweepSeconds)} s per step).");
        }
        else if (!torch.Ok)
        {
            yield return $"PyTorch MeZO: {torch.Status}";
        }
    }

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine(Format.Invariant($"# Step speed: {workload.Model.Name}, batch {workload.Batch} × {workload.Sequence} tokens"));
        text.AppendLine();
        text.AppendLine(machine.Provenance(settings.CommandLine, Format.Invariant($"before: {bszo.LoadBefore}, after the Bszo rounds: {bszo.LoadAfter}, after PyTorch: {loadAfter}")));
        text.AppendLine();
        text.AppendLine(Format.Invariant($"Bszo's configurations ran in one process, interleaved: {bszo.Warmup} warm-up and {bszo.Rounds} measured rounds, each round two plain-inference forward passes, two passes of Bszo's training graph and one step of every optimizer, starting at a different item each round. PyTorch MeZO ran right after, in its own process ({settings.Warmup} warm-up + {settings.SpeedRounds} steps). All use {bszo.Threads} threads. Times are medians; {Format.Count(bszo.Parameters)} trainable parameters."));
        text.AppendLine();
        var table = new MarkdownTable("configuration", "fwd/step", "step s", "forwards/s", "× inference", "forward s/step", "sweep s/step", "sweep share", "sweeps/step", "noise M values/s", "sweep GB/s", "roofline GB/s");
        table.Row("plain inference (per pass)", "1", Format.Seconds(InferenceForward), Format.Fixed(1 / InferenceForward, 2), "1.00×", Format.Seconds(InferenceForward));
        table.Row("Bszo training graph (per pass)", "1", Format.Seconds(BszoForward), Format.Fixed(1 / BszoForward, 2), Format.Ratio(BszoForward / InferenceForward), Format.Seconds(BszoForward));
        foreach (var r in Rows())
        {
            table.Row(r.Configuration, r.ForwardsPerStep.ToString(System.Globalization.CultureInfo.InvariantCulture), Format.Seconds(r.StepSeconds), Format.Fixed(r.ForwardsPerSecond, 2),
                Format.Ratio(r.Overhead), Format.Seconds(r.ForwardSeconds), Format.Seconds(r.SweepSeconds), Format.Percent(r.SweepShare), Format.Fixed(r.SweepsPerStep, 1),
                Format.Fixed(r.StreamElementsPerSecond / 1e6, 0), Format.Fixed(r.SweepGbps, 2), Format.Fixed(Roofline, 1));
        }
        if (!torch.Ok) table.Row(torch.Configuration, torch.Status);
        text.Append(table);
        text.AppendLine();
        text.AppendLine(Format.Invariant($"*× inference*: step time over the time plain inference needs for the step's forward passes. *Sweep share*: sweep time over forward time per step. *Noise values/s*: Gaussian values generated per second (elements × streams of each sweep); for SubZero a stream is a low-rank product, so its rate is not comparable. *Sweep GB/s*: bytes read and written by the sweeps per second; *roofline*: a memory copy between two {bszo.CopyBytes >> 20} MiB buffers on {bszo.Threads} threads, read + written bytes per second, measured before and after the rounds (mean). For PyTorch MeZO, *sweeps* are its four passes that draw z with torch.normal and add it in place."));
        text.AppendLine();
        text.AppendLine("## Targets");
        text.AppendLine();
        foreach (var line in Verdicts()) text.Append("- ").AppendLine(line);
        return text.ToString();
    }

    public JsonNode Json() => new JsonObject
    {
        ["suite"] = "speed",
        ["workload"] = new JsonObject { ["model"] = workload.Model.Name, ["batch"] = workload.Batch, ["sequence"] = workload.Sequence },
        ["command"] = settings.CommandLine,
        ["machine"] = ReportFiles.ToNode(machine),
        ["load_after"] = ReportFiles.ToNode(loadAfter),
        ["inference_forward_median"] = InferenceForward,
        ["bszo_forward_median"] = BszoForward,
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
