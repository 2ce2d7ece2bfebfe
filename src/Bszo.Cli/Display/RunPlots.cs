using System.Text.Json.Nodes;
using Bszo.Models.Training;
using ScottPlot;

namespace Bszo.Cli.Display;

/// <summary>Writes <c>loss.png</c> (training loss and dev loss by step) and <c>accuracy.png</c> (dev score by step, test scores) into the run directory.</summary>
internal static class RunPlots
{
    /// <summary>Writes the plots; a failure (no native Skia library, a full disk) is a warning: the run itself is complete.</summary>
    public static void TryWrite(RunDirectory run, string metric, TextWriter warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        try
        {
            Write(run, metric);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or TypeInitializationException or InvalidOperationException)
        {
            warnings.WriteLine($"bszo: warning: plots not written ({e.Message}); metrics.jsonl holds the same numbers.");
        }
    }

    public static void Write(RunDirectory run, string metric)
    {
        ArgumentNullException.ThrowIfNull(run);
        var entries = MetricsLog.Read(run.Metrics);
        var train = entries.Where(e => e.ContainsKey("loss")).ToList();
        var evals = entries.Where(e => e.ContainsKey("eval_loss")).ToList();
        var tests = entries.Where(e => e.ContainsKey("test_loss")).ToList();

        var loss = new Plot();
        if (train.Count > 0) AddLine(loss, train, "loss", "training loss (step batch)", Colors.SteelBlue, markers: false);
        if (evals.Count > 0) AddLine(loss, evals, "eval_loss", "dev loss", Colors.OrangeRed, markers: true);
        Finish(loss, "Loss", "loss", Path.Combine(run.Root, "loss.png"), Alignment.UpperRight);

        var score = new Plot();
        if (evals.Count > 0) AddLine(score, evals, $"eval_{metric}", $"dev {metric}", Colors.SeaGreen, markers: true);
        foreach (var t in tests)
        {
            if (t[$"test_{metric}"] is null) continue;
            double step = (double)t["step"]!, value = (double)t[$"test_{metric}"]!;
            var marker = score.Add.Marker(step, value, MarkerShape.FilledDiamond, size: 10, color: Colors.Purple);
            marker.LegendText = step == 0 ? $"test {metric}, zero-shot" : $"test {metric}, best weights (step {(long?)t["weights_step"]})";
        }
        Finish(score, metric == "accuracy" ? "Accuracy" : metric.ToUpperInvariant(), metric, Path.Combine(run.Root, $"{metric}.png"), Alignment.LowerRight);
    }

    private static void AddLine(Plot plot, List<JsonObject> entries, string key, string label, Color color, bool markers)
    {
        var points = entries.Where(e => e[key] is not null).Select(e => ((double)e["step"]!, (double)e[key]!)).ToArray();
        var line = plot.Add.Scatter(points.Select(p => p.Item1).ToArray(), points.Select(p => p.Item2).ToArray(), color);
        line.LegendText = label;
        line.MarkerSize = markers ? 6 : 0;
        line.LineWidth = markers ? 2 : 1;
    }

    private static void Finish(Plot plot, string title, string yLabel, string path, Alignment legend)
    {
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel(yLabel);
        plot.ShowLegend(legend);
        var temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileNameWithoutExtension(path)}.{Environment.ProcessId}.tmp.png");
        try
        {
            plot.SavePng(temp, 900, 520);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
