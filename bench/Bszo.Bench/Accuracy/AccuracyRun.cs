using System.Text.Json.Nodes;
using Bszo.Models.Training;

namespace Bszo.Bench.Accuracy;

/// <summary>One finished `bszo finetune` run of the comparison: its scores and its dev curve.</summary>
public sealed record AccuracyRun
{
    public required string Method { get; init; }

    public required ulong Seed { get; init; }

    public required string Directory { get; init; }

    public required string Metric { get; init; }

    public double ZeroShotTest { get; init; }

    public double FineTunedTest { get; init; }

    public double BestDev { get; init; }

    public long Steps { get; init; }

    public long ForwardPasses { get; init; }

    public double StepSeconds { get; init; }

    /// <summary>Dev score by training forward passes (the zero-shot score at 0 first).</summary>
    public List<(long ForwardPasses, double Score)> Curve { get; init; } = [];

    /// <summary>Reads a finished run directory (results.json and metrics.jsonl).</summary>
    public static AccuracyRun Read(string method, ulong seed, string directory)
    {
        var result = RunResults.Load(Path.Combine(directory, "results.json"))
            ?? Throw.Bszo<TrainingResult>($"'{directory}' has no results.json.", hint: "the run did not finish; run the accuracy suite again to resume it.");
        string metric = result.FineTunedTest.MetricName;
        var curve = new List<(long, double)>();
        foreach (var entry in MetricsLog.Read(Path.Combine(directory, "metrics.jsonl")))
        {
            if (entry[$"eval_{metric}"] is JsonNode score && entry["forward_passes"] is JsonNode passes)
            {
                curve.Add(((long)passes, (double)score));
            }
        }
        return new AccuracyRun
        {
            Method = method,
            Seed = seed,
            Directory = directory,
            Metric = metric,
            ZeroShotTest = result.ZeroShotTest.Metric,
            FineTunedTest = result.FineTunedTest.Metric,
            BestDev = result.BestDev.Metric,
            Steps = result.Steps,
            ForwardPasses = result.ForwardPasses,
            StepSeconds = result.Timings.StepSeconds,
            Curve = [.. curve.OrderBy(p => p.Item1)],
        };
    }
}
