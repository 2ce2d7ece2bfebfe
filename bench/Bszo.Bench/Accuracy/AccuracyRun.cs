using System.Text.Json.Nodes;
using Bszo.Models.Training;
using Bszo.Ort.Graph;

namespace Bszo.Bench.Accuracy;

/// <summary>One `bszo finetune` run of a comparison: its scores, its dev curve, and whether it diverged.</summary>
public sealed record AccuracyRun
{
    /// <summary>The file a diverged run leaves in its directory (the run has no results.json).</summary>
    public const string DivergedFile = "diverged.txt";

    /// <summary>
    /// A finished run of at least 100 steps whose training loss over the last tenth of its steps
    /// averages more than this many times its first tenth's is counted as diverged, like one stopped
    /// by a non-finite loss.
    /// </summary>
    public const double LossRiseFactor = 1.1;

    public required string Arm { get; init; }

    public required string Method { get; init; }

    public required double LearningRate { get; init; }

    public required ulong Seed { get; init; }

    public required string Directory { get; init; }

    public string Metric { get; init; } = "accuracy";

    /// <summary>Stopped by a non-finite loss, or its training loss rose (see <see cref="LossRiseFactor"/>).</summary>
    public bool Diverged { get; init; }

    /// <summary>Why the run counts as diverged; empty when it does not.</summary>
    public string DivergedBecause { get; init; } = "";

    public double ZeroShotTest { get; init; } = double.NaN;

    public double FineTunedTest { get; init; } = double.NaN;

    public double BestDev { get; init; } = double.NaN;

    public long Steps { get; init; }

    public long ForwardPasses { get; init; }

    public double StepSeconds { get; init; }

    /// <summary>Wall time of the whole `bszo finetune` process (zero-shot scores, training, evaluations).</summary>
    public double WallSeconds { get; init; }

    /// <summary>Dev score by training forward passes (the zero-shot score at 0 first).</summary>
    public List<(long ForwardPasses, double Score)> Curve { get; init; } = [];

    /// <summary>Records that the run in <paramref name="directory"/> stopped on a non-finite loss.</summary>
    public static void MarkDiverged(string directory, string message) => AtomicFile.WriteAllText(Path.Combine(directory, DivergedFile), message);

    /// <summary>Whether <paramref name="directory"/> holds a finished or diverged run.</summary>
    public static bool IsFinished(string directory) =>
        File.Exists(Path.Combine(directory, "results.json")) || File.Exists(Path.Combine(directory, DivergedFile));

    /// <summary>Reads a finished or diverged run directory.</summary>
    public static AccuracyRun Read(string arm, string method, double learningRate, ulong seed, string directory, double wallSeconds)
    {
        var diverged = Path.Combine(directory, DivergedFile);
        if (File.Exists(diverged))
        {
            return new AccuracyRun
            {
                Arm = arm, Method = method, LearningRate = learningRate, Seed = seed, Directory = directory, WallSeconds = wallSeconds,
                Diverged = true, DivergedBecause = "non-finite loss",
            };
        }
        var result = RunResults.Load(Path.Combine(directory, "results.json"))
            ?? Throw.Bszo<TrainingResult>($"'{directory}' has no results.json.", hint: "the run did not finish; run the accuracy suite again to resume it.");
        string metric = result.FineTunedTest.MetricName;
        var curve = new List<(long, double)>();
        var losses = new List<double>();
        foreach (var entry in MetricsLog.Read(Path.Combine(directory, "metrics.jsonl")))
        {
            if (entry[$"eval_{metric}"] is JsonNode score && entry["forward_passes"] is JsonNode passes) curve.Add(((long)passes, (double)score));
            else if (entry["loss"] is JsonNode loss && entry["learning_rate"] is not null) losses.Add((double)loss);
        }
        var (rose, because) = LossRose(losses);
        return new AccuracyRun
        {
            Arm = arm,
            Method = method,
            LearningRate = learningRate,
            Seed = seed,
            Directory = directory,
            Metric = metric,
            Diverged = rose,
            DivergedBecause = because,
            ZeroShotTest = result.ZeroShotTest.Metric,
            FineTunedTest = result.FineTunedTest.Metric,
            BestDev = result.BestDev.Metric,
            Steps = result.Steps,
            ForwardPasses = result.ForwardPasses,
            StepSeconds = result.Timings.StepSeconds,
            WallSeconds = wallSeconds,
            Curve = [.. curve.OrderBy(p => p.Item1)],
        };
    }

    /// <summary>Whether the mean training loss of the last tenth of the steps exceeds <see cref="LossRiseFactor"/> times the first tenth's.</summary>
    internal static (bool Rose, string Because) LossRose(IReadOnlyList<double> losses)
    {
        // Fewer than 100 steps make each tenth a handful of batches: their noise, not a trend.
        int tenth = losses.Count / 10;
        if (tenth < 10) return (false, "");
        double first = losses.Take(tenth).Average(), last = losses.Skip(losses.Count - tenth).Average();
        return last > LossRiseFactor * first
            ? (true, Reports.Format.Invariant($"training loss rose from {first:F3} (first tenth) to {last:F3} (last tenth)"))
            : (false, "");
    }
}
