using System.Text;
using System.Text.Json.Nodes;
using Bszo.Bench.Measure;
using Bszo.Bench.Reports;
using Bszo.Bench.Setup;

namespace Bszo.Bench.Cluster;

/// <summary>The cluster suite's result as Markdown and JSON: measured step times and traffic, and what they project to on many machines.</summary>
public sealed class ClusterReport(MachineInfo machine, LoadAverage loadBefore, LoadAverage loadAfter, BenchSettings settings, IReadOnlyList<ClusterWorkload> workloads,
    IReadOnlyList<ClusterRun> runs)
{
    /// <summary>Machines of the projection.</summary>
    public static IReadOnlyList<int> ProjectedMachines { get; } = [16, 64];

    /// <summary>Assumed (not measured) network round trip between machines of one cluster.</summary>
    public const double AssumedRoundTripSeconds = 0.2e-3;

    /// <summary>Assumed (not measured) bandwidth of the coordinator's link, bytes per second (10 Gb/s).</summary>
    public const double AssumedLinkBytesPerSecond = 10e9 / 8;

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine("# Data-parallel training: step time and traffic of `bszo finetune --workers N`");
        text.AppendLine();
        text.AppendLine(machine.Provenance(settings.CommandLine, Format.Invariant($"before: {loadBefore}, after: {loadAfter}")));
        text.AppendLine();
        text.AppendLine(Format.Invariant($"Every configuration is one `bszo finetune` run in its own process (MeZO, batch 16, the default SST-2-style task, {settings.Threads} threads shared by all of the run's processes): 0 workers is the single process; N workers is the coordinator and lead trainer in that process and N worker processes on this machine, each holding 16/N examples of every batch. Step times are means over each run's steps after the first (evaluations and checkpoints, at the end only, left out); traffic is what the coordinator counted (`cluster.json`): *payload* is the serialized requests and responses of the workers' boundary and loss calls, *wire* whole Orleans messages with headers and heartbeats."));
        text.AppendLine();
        text.AppendLine(Format.Invariant($"**This machine has {machine.Cores} cores, shared with other jobs.** Every worker process competes with the others and with the lead for them, so more workers here show the cost of coordinating, not a speed-up: a speed-up needs each worker on its own cores or machine."));
        foreach (var workload in workloads)
        {
            var mine = runs.Where(r => r.Workload == workload.Name).OrderBy(r => r.Workers).ToList();
            if (mine.Count == 0) continue;
            var single = mine.FirstOrDefault(r => r.Workers == 0);
            text.AppendLine();
            text.AppendLine(Format.Invariant($"## {workload.Name}: {workload.Description}"));
            text.AppendLine();
            var table = new MarkdownTable("configuration", "s/step", "vs one process", "coordinator calls/step", "payload B/step", "payload B/worker/step", "wire B/step", "first step after (s)");
            foreach (var r in mine)
            {
                table.Row(r.Workers == 0 ? "one process" : Format.Invariant($"{r.Workers} worker{(r.Workers == 1 ? "" : "s")}"), Format.Seconds(r.StepSeconds),
                    single is null ? Format.None : Format.Ratio(r.StepSeconds / single.StepSeconds),
                    r.Workers == 0 ? Format.None : Format.Fixed(r.CallsPerStep, 2), r.Workers == 0 ? Format.None : Format.Fixed(r.PayloadBytesPerStep, 0),
                    r.Workers == 0 ? Format.None : Format.Fixed(r.PayloadBytesPerStep / r.Workers, 0), r.Workers == 0 ? Format.None : Format.Fixed(r.WireBytesPerStep, 0),
                    Format.Fixed(r.FirstStepSeconds, 1));
            }
            text.Append(table);
        }
        text.AppendLine();
        text.Append(Projection());
        return text.ToString();
    }

    public JsonNode Json() => new JsonObject(ReportFiles.Header("cluster", settings, machine, loadBefore, loadAfter))
    {
        ["workloads"] = ReportFiles.ToNode(workloads),
        ["runs"] = ReportFiles.ToNode(runs),
        ["assumed_round_trip_seconds"] = AssumedRoundTripSeconds,
        ["assumed_link_bytes_per_second"] = AssumedLinkBytesPerSecond,
    };

    /// <summary>
    /// Many machines on paper: one worker per machine, 16 examples each per step. Per step each worker
    /// sends what it sent here (payload per worker), the coordinator handles all of it, and every forward
    /// pass plus the step boundary is a barrier across machines.
    /// </summary>
    private string Projection()
    {
        var text = new StringBuilder();
        text.AppendLine("## Many machines, on paper");
        text.AppendLine();
        // The head's compute is a fraction of a millisecond: its cluster step is coordination, of the fewest workers measured.
        var latency = runs.Where(r => r.Workload == "use-lite-head" && r.Workers > 0).MinBy(r => r.Workers);
        double barrier = latency is null ? double.NaN : (latency.StepSeconds - latency.SweepSeconds) / (latency.Passes + 1);
        var perWorker = runs.Where(r => r.Workers > 0).Select(r => r.PayloadBytesPerStep / r.Workers).DefaultIfEmpty(double.NaN).Average();
        text.AppendLine(Format.Invariant($"Measured here: a worker's payload is {perWorker:F0} bytes per MeZO step (2 forward passes: one boundary call and two loss calls), whatever the model; a barrier (a loss round or a step boundary) costs {barrier * 1e3:F1} ms on this machine's loopback with no compute to wait for (the head workload with {latency?.Workers ?? 0} worker(s): its step time less sweeps, over 3 barriers per step). Assumed, not measured: {AssumedRoundTripSeconds * 1e3:F1} ms network round trip between machines and a {AssumedLinkBytesPerSecond * 8 / 1e9:F0} Gb/s link at the coordinator."));
        text.AppendLine();
        text.AppendLine("With one worker per machine and 16 examples per machine and step (the batch grows with the machines), a step costs each machine its own compute, a single-process step measured here (2 forward passes over 16 examples, and the sweeps), plus 3 barriers; each barrier waits for the slowest machine and one round trip. First-order data parallelism instead all-reduces a gradient as large as the model every step (2 bytes per parameter in bf16).");
        text.AppendLine();
        var table = new MarkdownTable("workload", "machines", "compute per step (measured)", "barriers per step", "barrier cost (measured here + assumed round trip)", "projected s/step", "coordinator traffic per step", "at 10 Gb/s", "first-order all-reduce per machine per step");
        foreach (var workload in workloads)
        {
            var single = runs.FirstOrDefault(r => r.Workload == workload.Name && r.Workers == 0);
            if (single is null) continue;
            double compute = single.StepSeconds;
            long parameters = Parameters(single.Directory);
            foreach (int machines in ProjectedMachines)
            {
                double cost = barrier + AssumedRoundTripSeconds;
                double traffic = machines * perWorker;
                table.Row(workload.Name, Format.Count(machines), Format.Seconds(compute), Format.Count(single.Passes + 1), Format.Invariant($"{cost * 1e3:F1} ms"),
                    Format.Seconds(compute + (single.Passes + 1) * cost), Format.Invariant($"{traffic / 1024:F1} KiB"),
                    Format.Invariant($"{traffic / AssumedLinkBytesPerSecond * 1e6:F0} µs"), Bytes(2.0 * parameters));
            }
        }
        text.Append(table);
        text.AppendLine();
        text.AppendLine("Traffic does not limit zeroth-order data parallelism: tens of kilobytes per step where first-order training moves the model's size. Latency does: every forward pass is a barrier across all machines, so a step costs (forward passes + 1) × (slowest machine + round trip), and stragglers, not bytes, set the pace. The barrier cost measured here is an upper bound for a quiet machine: on 2 shared cores each hop waits for a core.");
        return text.ToString();
    }

    private static string Bytes(double bytes) =>
        bytes >= 1e9 ? Format.Invariant($"{bytes / 1e9:F1} GB") : bytes >= 1e6 ? Format.Invariant($"{bytes / 1e6:F1} MB") : Format.Invariant($"{bytes / 1e3:F1} kB");

    /// <summary>Trainable parameters of a run (its config.json).</summary>
    private static long Parameters(string directory)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "config.json")));
        return (long?)config?["resolved"]?["trainable_elements"] ?? 0;
    }
}
