using System.Globalization;
using Bszo.Models.Training;
using Spectre.Console;

namespace Bszo.Cli.Display;

/// <summary>The end of a run: zero-shot against fine-tuned scores, cost, and where everything is.</summary>
internal static class Summary
{
    public static void Print(CliConsole console, TrainingResult result, RunDirectory run, bool quiet, bool json)
    {
        ArgumentNullException.ThrowIfNull(result);
        string metric = result.FineTunedTest.MetricName;
        if (json)
        {
            new JsonObserver(console.Out).Write("result", result);
            return;
        }
        if (quiet)
        {
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"test {metric}: zero-shot {result.ZeroShotTest.Metric:F4} -> fine-tuned {result.FineTunedTest.Metric:F4} (best dev step {result.BestDev.Step}; {run.Root})"));
            return;
        }

        var table = new Table().Title("Results").AddColumns("", "zero-shot", "fine-tuned", "change");
        // Accuracy and F1 read as percentages; R² as the fraction it is.
        bool percent = metric != "r2";
        table.AddRow(Row($"test {metric}", result.ZeroShotTest.Metric, result.FineTunedTest.Metric, percent));
        table.AddRow(Row($"dev {metric}", result.ZeroShotDev.Metric, result.BestDev.Metric, percent));
        table.AddRow(Row("test loss", result.ZeroShotTest.Loss, result.FineTunedTest.Loss, percent: false));
        console.Ansi.Write(table);

        var t = result.Timings;
        var facts = new Table().HideHeaders().NoBorder().AddColumns("", "");
        facts.AddRow("steps", Text($"{result.Steps}{(result.StoppedEarly ? " (stopped early)" : "")}, best dev weights after step {result.BestDev.Step}"));
        facts.AddRow("forward passes", Text($"{result.ForwardPasses:N0} for training"));
        if (t.Steps > 0)
        {
            facts.AddRow("speed", Text($"{t.Steps / t.StepSeconds:F1} steps/s, {result.ForwardPasses / Math.Max(1, result.Steps) * t.Steps / t.StepSeconds:F0} forward passes/s ({t.ForwardSeconds / t.StepSeconds:P0} of step time in forward passes, {t.SweepSeconds / t.StepSeconds:P0} in sweeps)"));
        }
        if (t.TimeToFirstStep is TimeSpan first) facts.AddRow("time to first step", Text($"{first.TotalSeconds:F2} s"));
        if (t.ReplaySeconds > 0) facts.AddRow("resume replay", Text($"{t.ReplaySeconds:F2} s"));
        facts.AddRow("peak memory", Text($"{result.PeakRssBytes / 1048576.0:F0} MB"));
        facts.AddRow("run directory", Markup.Escape(run.Root));
        facts.AddRow("next", Markup.Escape($"bszo export --run {run.Root} --out <dir>"));
        console.Ansi.Write(facts);
    }

    private static string[] Row(string name, double before, double after, bool percent) =>
    [
        name,
        percent ? Text($"{before:P2}") : Text($"{before:F4}"),
        percent ? Text($"{after:P2}") : Text($"{after:F4}"),
        percent ? Text($"{(after - before) * 100:+0.00;-0.00;0.00} pt") : Text($"{after - before:+0.0000;-0.0000;0.0000}"),
    ];

    private static string Text(FormattableString text) => Markup.Escape(text.ToString(CultureInfo.InvariantCulture));
}
