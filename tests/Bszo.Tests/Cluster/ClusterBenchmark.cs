using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Data;
using Bszo.Cluster.Training;
using Bszo.Models.Training;
using Bszo.Ort.Optimizers;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cluster;

/// <summary>
/// Throughput against the number of worker processes on this machine, and a projection of the traffic
/// to large models and many nodes. Not a test: run it explicitly; it writes bench/results/cluster.md.
/// </summary>
[Explicit("benchmark: minutes of CPU; writes bench/results/cluster.md")]
[Category("Benchmark")]
[NonParallelizable]
public class ClusterBenchmark
{
    private const int Batch = 1024, Hidden = 4096, Steps = 40, Warmup = 5;

    [Test]
    public async Task Throughput_against_workers_and_traffic_projection()
    {
        string loadBefore = File.ReadAllText("/proc/loadavg").Trim();
        var spec = new ClusterTrainingSpec
        {
            Run = new RunSpec { Optimizer = "mezo", Options = new MezoOptions { LearningRate = 1e-4, Epsilon = 1e-3, Seed = 1, TotalSteps = Steps }, BatchSize = Batch, DataSeed = 1 },
            ChecksumEvery = 10,
            SnapshotEvery = 1000,
        };
        var rows = new List<string>();
        await using (var bed = new ClusterTestBed(examples: 4 * Batch, hidden: Hidden))
        {
            foreach (int threads in new[] { 1, 2 })
            {
                var times = new ConcurrentDictionary<long, double>();
                var clock = Stopwatch.StartNew();
                bed.SingleProcess(spec, threads, step => times[step] = clock.Elapsed.TotalSeconds);
                rows.Add(Row($"1 process, {threads} thread(s), no cluster", times, null));
            }
        }
        var traffic = new List<(int Workers, double Bytes, double Wire, double Calls)>();
        foreach (int workers in new[] { 1, 2, 3 })
        {
            await using var bed = new ClusterTestBed(examples: 4 * Batch, hidden: Hidden);
            var times = new ConcurrentDictionary<long, double>();
            var clock = Stopwatch.StartNew();
            TrafficReport? atWarmup = null;
            ClusterCoordinator? coordinator = null;
            coordinator = await bed.StartCoordinatorAsync(spec, o => o with
            {
                StartWorkers = workers,
                MinWorkers = workers,
                PollHold = TimeSpan.FromSeconds(30),
                OnEvent = e =>
                {
                    if (e.Kind != ClusterEventKind.StepCompleted) return;
                    times[e.Step] = clock.Elapsed.TotalSeconds;
                    if (e.Step == Warmup) atWarmup = coordinator!.Traffic;
                },
            });
            for (int i = 0; i < workers; i++) bed.StartWorker($"w{i}", threads: 1);
            var summary = await bed.FinishAsync(TimeSpan.FromMinutes(5));
            Assert.That(summary.State, Is.EqualTo(RunState.Completed), summary.Error);
            var end = summary.Traffic;
            double steps = Steps - 1 - Warmup;
            string[] perStep = ["BeginStep", "Submit"];
            double bytes = perStep.Sum(m => end[m].RequestBytes + end[m].ResponseBytes - atWarmup![m].RequestBytes - atWarmup[m].ResponseBytes) / steps;
            double calls = perStep.Sum(m => end[m].Calls - atWarmup![m].Calls) / steps;
            double wire = (end.WireBytes - atWarmup!.WireBytes) / steps;
            traffic.Add((workers, bytes, wire, calls));
            rows.Add(Row($"{workers} worker process(es), 1 thread each", times, (bytes, wire)));
        }
        string loadAfter = File.ReadAllText("/proc/loadavg").Trim();
        var report = Report(rows, traffic, loadBefore, loadAfter);
        var path = Path.Combine(Repository.Root, "bench", "results", "cluster.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, report);
        TestContext.Out.WriteLine(report);
    }

    private static string Row(string what, ConcurrentDictionary<long, double> times, (double Bytes, double Wire)? traffic)
    {
        double seconds = times[Steps - 1] - times[Warmup];
        double stepsPerSecond = (Steps - 1 - Warmup) / seconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {what} | {stepsPerSecond * Batch:F0} | {1000 / stepsPerSecond:F1} | {(traffic is { } t ? $"{t.Bytes:F0} | {t.Wire:F0}" : "– | –")} |");
    }

    private static string Report(List<string> rows, List<(int Workers, double Bytes, double Wire, double Calls)> traffic, string loadBefore, string loadAfter)
    {
        var inv = CultureInfo.InvariantCulture;
        var perWorker = traffic.Select(t => t.Wire / t.Workers).Average();
        var payloadPerWorker = traffic.Select(t => t.Bytes / t.Workers).Average();
        var md = new StringBuilder();
        md.AppendLine("# Data-parallel ZO training: throughput and traffic");
        md.AppendLine();
        md.AppendLine(inv, $"Measured by `ClusterBenchmark` (`dotnet test tests/Bszo.Tests -c Release --filter FullyQualifiedName~ClusterBenchmark`), {DateTime.UtcNow:yyyy-MM-dd}, on this machine: {Environment.ProcessorCount} cores, shared with other jobs (load average {loadBefore.Split(' ')[0]} before, {loadAfter.Split(' ')[0]} after; 1-minute averages from /proc/loadavg).");
        md.AppendLine();
        md.AppendLine(inv, $"Workload: MLP 8 → {Hidden} → 3 ({8 * Hidden + Hidden + 3 * Hidden + 3:N0} weights), batch {Batch} per step split into contiguous shards, MeZO (2 forward passes per step), {Steps} steps; times from step {Warmup} to the last (start-up excluded). The coordinator runs in the benchmark's process; each worker is a `bszo-cluster` process with one ONNX Runtime thread and one sweep thread.");
        md.AppendLine();
        md.AppendLine("| configuration | examples/s | ms/step | payload B/step | wire B/step |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var r in rows) md.AppendLine(r);
        md.AppendLine();
        md.AppendLine("*Payload*: serialized request and response bodies of the coordinator's `BeginStep` and `Submit` calls (grain call filter). *Wire*: whole Orleans messages as the coordinator's process sent and received them (headers included; Orleans' messaging metrics), which also counts heartbeats.");
        md.AppendLine();
        md.AppendLine("Reading the table: this machine has 2 cores and was shared with other jobs while it ran (load averages above), so each configuration mostly measures how long its processes waited for a core; the examples/s column is one run per configuration and moves by tens of percent between runs. With one ONNX Runtime thread per worker, two workers are the most this machine can run at once, and a third competes for the same two cores. No speed-up from more workers can be read from it. What the table shows reliably is the traffic: it grows with the number of workers, not with the model.");
        md.AppendLine();
        md.AppendLine("## Projection to large models and many nodes");
        md.AppendLine();
        md.AppendLine(inv, $"Measured above: {payloadPerWorker:F0} B of payload and {perWorker:F0} B on the wire per worker per MeZO step (2 forward passes, so one boundary call and two loss calls). Per forward pass a worker sends its shard's (sum, count) and receives one double: the traffic is independent of model size (`ClusterTrafficTests` checks this against a model 63 times larger). For BSZO (k = 2) a step has 3 forward passes: scale by 4/3.");
        md.AppendLine();
        md.AppendLine("Assumptions (not measured here): a forward pass costs 2 × parameters × tokens FLOPs; a batch of 16 sequences × 256 tokens per node; each node sustains 100 TFLOP/s; the coordinator's link carries 10 Gb/s and a round trip costs 0.2 ms; a loss round waits for the slowest node, so each forward pass adds one round trip.");
        md.AppendLine();
        md.AppendLine("| model | forward pass per node | nodes | coordinator traffic per step | at 10 Gb/s | round trips per step | first-order data parallel: all-reduce per node per step (bf16 gradients) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, parameters) in new[] { ("OPT-125m", 125e6), ("OPT-1.3B", 1.3e9) })
        {
            double flops = 2 * parameters * 16 * 256;
            double forwardMs = flops / 100e12 * 1e3;
            foreach (int nodes in new[] { 8, 64, 512 })
            {
                double bytes = perWorker * nodes;
                double linkMs = bytes * 8 / 10e9 * 1e3;
                double allReduce = 2 * parameters * 2; // ring all-reduce moves about twice the gradient per node
                md.AppendLine(inv, $"| {name} | {forwardMs:F1} ms | {nodes} | {bytes / 1024:F1} KiB | {linkMs:F3} ms | 3 × 0.2 ms | {allReduce / 1e9:F1} GB |");
            }
        }
        md.AppendLine();
        md.AppendLine("Per step and node, ZO data parallelism moves a few hundred bytes where first-order data parallelism moves about twice the model's gradient. What limits it at scale is latency, not bandwidth: each forward pass is a barrier across all nodes, so a step costs (forward passes) × (slowest node's forward pass + one round trip), and stragglers, not bytes, set the pace.");
        return md.ToString();
    }
}
