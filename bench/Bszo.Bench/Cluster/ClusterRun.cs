using System.Text.Json.Nodes;
using Bszo.Models.Training;

namespace Bszo.Bench.Cluster;

/// <summary>
/// One finished `bszo finetune` run of the cluster suite, read from its run directory: step times from
/// metrics.jsonl, the lead's split of them from results.json, and the coordinator's traffic from cluster.json.
/// </summary>
public sealed record ClusterRun
{
    public required string Workload { get; init; }

    /// <summary>Worker processes (0: one process, no cluster).</summary>
    public required int Workers { get; init; }

    public required string Directory { get; init; }

    public required long Steps { get; init; }

    /// <summary>Forward passes per step.</summary>
    public required int Passes { get; init; }

    /// <summary>Mean wall time of a step, the first one (warm-up) left out: the time between the first and the last step's log lines over the steps between them.</summary>
    public required double StepSeconds { get; init; }

    /// <summary>Seconds per step in weight sweeps (every process sweeps every step).</summary>
    public required double SweepSeconds { get; init; }

    /// <summary>From the command's start to the end of its first step (model load, frozen-prefix rows, workers' start).</summary>
    public required double FirstStepSeconds { get; init; }

    /// <summary>Coordinator calls per step (boundary and loss calls of every worker); 0 without a cluster.</summary>
    public double CallsPerStep { get; init; }

    /// <summary>Serialized request and response bytes of those calls per step.</summary>
    public double PayloadBytesPerStep { get; init; }

    /// <summary>Whole Orleans messages per step as the coordinator's process sent and received them (heartbeats included).</summary>
    public double WireBytesPerStep { get; init; }

    /// <summary>Reads a finished run.</summary>
    public static ClusterRun Read(string workload, int workers, string directory)
    {
        var result = RunResults.Load(Path.Combine(directory, "results.json"))
            ?? Throw.Bszo<TrainingResult>($"'{directory}' has no results.json.", hint: "the run did not finish; see its output above.");
        var elapsed = MetricsLog.Read(Path.Combine(directory, "metrics.jsonl"))
            .Where(e => e.ContainsKey("loss") && e["elapsed"] is not null).Select(e => (double)e["elapsed"]!).ToList();
        // Log lines carry milliseconds: over many steps of a fraction of a millisecond only the span is precise.
        var timings = result.Timings;
        var run = new ClusterRun
        {
            Workload = workload,
            Workers = workers,
            Directory = directory,
            Steps = result.Steps,
            Passes = (int)(result.ForwardPasses / Math.Max(1, result.Steps)),
            StepSeconds = elapsed.Count < 2 ? double.NaN : (elapsed[^1] - elapsed[0]) / (elapsed.Count - 1),
            SweepSeconds = timings.SweepSeconds / Math.Max(1, timings.Steps),
            FirstStepSeconds = timings.TimeToFirstStep?.TotalSeconds ?? double.NaN,
        };
        var clusterFile = Path.Combine(directory, "cluster.json");
        if (workers == 0 || !File.Exists(clusterFile)) return run;
        var traffic = JsonNode.Parse(File.ReadAllText(clusterFile))!["traffic"]!;
        var perStep = traffic["methods"]!.AsArray().Where(m => (string?)m!["method"] is "BeginStep" or "Submit").ToList();
        double n = Math.Max(1, result.Steps);
        return run with
        {
            CallsPerStep = perStep.Sum(m => (long)m!["calls"]!) / n,
            PayloadBytesPerStep = perStep.Sum(m => (long)m!["requestBytes"]! + (long)m!["responseBytes"]!) / n,
            WireBytesPerStep = (long)traffic["wireBytes"]! / n,
        };
    }
}
