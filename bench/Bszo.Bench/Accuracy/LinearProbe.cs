using System.Diagnostics;
using Bszo.Cli;
using Bszo.Cli.Setup;
using Bszo.Models.Adapters;
using Bszo.Models.Training;
using Bszo.Ort.Runtime;

namespace Bszo.Bench.Accuracy;

/// <summary>The linear probe of one seed: the penalty chosen on dev and the scores.</summary>
/// <param name="Seed">The seed whose splits were used.</param>
/// <param name="L2">The penalty λ with the best dev accuracy.</param>
/// <param name="DevAccuracy">Dev accuracy at that λ.</param>
/// <param name="TestAccuracy">Test accuracy at that λ.</param>
/// <param name="Grid">Dev accuracy of every λ tried.</param>
/// <param name="Features">Features per example.</param>
/// <param name="Seconds">Wall time (features and fits).</param>
public sealed record LinearProbeResult(ulong Seed, double L2, double DevAccuracy, double TestAccuracy, IReadOnlyList<(double L2, double Dev)> Grid, int Features, double Seconds);

/// <summary>
/// A first-order logistic regression on the frozen features a run's trainable head reads: the honest
/// ceiling of head-only training. The features are the activations at the run's frozen-prefix cut,
/// computed by the prepared model's prefix for the run's own train, dev and test splits (rebuilt from
/// its config.json as <c>bszo eval --run</c> does); λ is chosen on dev.
/// </summary>
public static class LinearProbe
{
    /// <summary>The L2 penalties tried.</summary>
    public static IReadOnlyList<double> Penalties { get; } = [0, 1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>Gradient-descent iterations per fit.</summary>
    public const int Iterations = 1500;

    /// <summary>Fits the probe on the splits of the finished head-only run in <paramref name="runDirectory"/>.</summary>
    public static LinearProbeResult Fit(string runDirectory, ulong seed, int threads, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        var run = RunDirectory.At(runDirectory);
        var (_, data) = RunConfig.LoadSettings(run).Task.Load(log);
        var model = ModelSetup.FromPrepared(RunConfig.PreparedDirectory(run));
        using var prefix = FrozenPrefix.TryOpen(model.Prepared, new SessionSettings { IntraOpThreads = threads }, out var reason)
            ?? Throw.Bszo<FrozenPrefix>($"The run in '{runDirectory}' has no frozen prefix to read features from.", "a head-only run", reason);
        if (prefix.Boundary.Count != 1)
        {
            Throw.Bszo($"The run in '{runDirectory}' cuts its graph at {prefix.Boundary.Count} activations.", "one feature row per example (a head-only run)",
                string.Join(", ", prefix.Boundary.Select(b => b.Name)));
        }
        var train = Features(model.Adapter, prefix, data.Train);
        var dev = Features(model.Adapter, prefix, data.Dev);
        var test = Features(model.Adapter, prefix, data.Test);
        int classes = Math.Max(model.Card.Labels.Count, data.Train.Concat(data.Dev).Concat(data.Test).Max(e => e.Label) + 1);
        var trainLabels = data.Train.Select(e => e.Label).ToArray();
        var devLabels = data.Dev.Select(e => e.Label).ToArray();

        var grid = new List<(double, double)>();
        LogisticRegression? best = null;
        double bestL2 = 0, bestDev = double.NegativeInfinity;
        foreach (var l2 in Penalties)
        {
            var fit = LogisticRegression.Fit(train, trainLabels, classes, l2, Iterations);
            double accuracy = fit.Accuracy(dev, devLabels);
            grid.Add((l2, accuracy));
            if (accuracy > bestDev)
            {
                (best, bestL2, bestDev) = (fit, l2, accuracy);
            }
        }
        double testAccuracy = best!.Accuracy(test, data.Test.Select(e => e.Label).ToArray());
        return new LinearProbeResult(seed, bestL2, bestDev, testAccuracy, grid, prefix.Boundary[0].RowLength, clock.Elapsed.TotalSeconds);
    }

    private static List<float[]> Features(ModelAdapter adapter, FrozenPrefix prefix, IReadOnlyList<PromptedExample> examples)
    {
        const int chunk = 32;
        int width = prefix.Boundary[0].RowLength;
        var rows = new List<float[]>(examples.Count);
        for (int start = 0; start < examples.Count; start += chunk)
        {
            var part = examples.Skip(start).Take(chunk).ToList();
            using var batch = adapter.Collate(part);
            var activations = prefix.Run(batch)[0];
            for (int i = 0; i < part.Count; i++) rows.Add(activations.Values.AsSpan(i * width, width).ToArray());
        }
        return rows;
    }
}
