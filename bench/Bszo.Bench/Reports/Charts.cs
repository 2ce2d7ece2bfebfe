using ScottPlot;

namespace Bszo.Bench.Reports;

/// <summary>The charts of the reports, drawn with ScottPlot.</summary>
public static class Charts
{
    /// <summary>One segment of stacked bars: a label, a colour and one value per category.</summary>
    public sealed record Segment(string Label, Color Color, double[] Values);

    private static readonly Color[] Palette = [Colors.SteelBlue, Colors.DarkOrange, Colors.SeaGreen, Colors.Crimson, Colors.MediumPurple, Colors.SaddleBrown, Colors.HotPink, Colors.Gray];

    /// <summary>A colour per series index.</summary>
    public static Color Color(int index) => Palette[index % Palette.Length];

    /// <summary>Bars per category, each stacked from <paramref name="segments"/>, with optional horizontal reference lines.</summary>
    public static Plot StackedBars(string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<Segment> segments,
        IReadOnlyList<(double Value, string Label)>? lines = null)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(segments);
        var plot = new Plot();
        var bars = new List<Bar>();
        for (int c = 0; c < categories.Count; c++)
        {
            double bottom = 0;
            foreach (var s in segments)
            {
                double v = c < s.Values.Length && double.IsFinite(s.Values[c]) ? s.Values[c] : 0;
                if (v <= 0) continue;
                bars.Add(new Bar { Position = c, ValueBase = bottom, Value = bottom + v, FillColor = s.Color });
                bottom += v;
            }
        }
        plot.Add.Bars(bars);
        foreach (var s in segments) plot.Legend.ManualItems.Add(new LegendItem { LabelText = s.Label, FillColor = s.Color });
        int i = 0;
        foreach (var (value, label) in lines ?? [])
        {
            var line = plot.Add.HorizontalLine(value, 2, Color(i + 3), LinePattern.Dashed);
            line.LegendText = label;
            i++;
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, categories.Count).Select(x => (double)x).ToArray(), [.. categories]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = -25;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 110;
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    /// <summary>Lines with a shaded band (mean ± spread) per series, plus optional horizontal reference lines.</summary>
    public static Plot Curves(string title, string xLabel, string yLabel, IReadOnlyList<(string Label, double[] X, double[] Mean, double[] Spread)> series,
        IReadOnlyList<(double Value, string Label)>? lines = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        var plot = new Plot();
        for (int s = 0; s < series.Count; s++)
        {
            var (label, x, mean, spread) = series[s];
            if (x.Length == 0) continue;
            var color = Color(s);
            var band = plot.Add.FillY(x, mean.Zip(spread, (m, d) => m - d).ToArray(), mean.Zip(spread, (m, d) => m + d).ToArray());
            band.FillColor = color.WithAlpha(0.2);
            band.LineWidth = 0;
            var line = plot.Add.Scatter(x, mean, color);
            line.LegendText = label;
            line.MarkerSize = 4;
        }
        int i = 0;
        foreach (var (value, label) in lines ?? [])
        {
            var line = plot.Add.HorizontalLine(value, 2, Colors.Gray, LinePattern.Dotted);
            line.LegendText = label;
            i++;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }
}
