using System.Diagnostics;
using System.Globalization;
using Bszo.Models.Training;

namespace Bszo.Cli.Display;

/// <summary>
/// Progress as plain lines, for logs and CI: a step line about twenty times per run (and at least
/// every ten seconds), every evaluation and checkpoint, and messages.
/// </summary>
internal sealed class PlainObserver(TextWriter output) : ITrainingObserver
{
    private static readonly TimeSpan MaxSilence = TimeSpan.FromSeconds(10);
    private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
    private long _every = 1;

    public void Started(RunStart start)
    {
        ArgumentNullException.ThrowIfNull(start);
        _every = Math.Max(1, start.TotalSteps / 20);
        var from = start.ResumedFrom is null ? "" : $", resumed at step {start.StartStep} ({start.ReplayedSteps} replayed)";
        output.WriteLine(Format($"training {start.TotalSteps} steps of {start.Optimizer} ({start.ForwardPassesPerStep} forward passes/step) on {start.TrainableElements:N0} weights; {start.TrainExamples} train / {start.DevExamples} dev / {start.TestExamples} test examples{from}"));
    }

    public void Stepped(StepReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Step % _every != 0 && report.Step != report.TotalSteps && report.Step != 1 && _sinceLine.Elapsed < MaxSilence) return;
        var g = report.ProjectedGradient is double pg ? Format($" | g {pg,10:G4}") : "";
        output.WriteLine(Format($"step {report.Step,7}/{report.TotalSteps} | loss {report.Loss:F4} | lr {report.LearningRate:G3}{g} | {report.ForwardPassesPerSecond,7:F0} fwd/s | {report.StepsPerSecond:F1} steps/s | eta {Eta(report.Eta)} | peak {report.PeakRssBytes / 1048576.0:F0} MB"));
        _sinceLine.Restart();
    }

    public void Evaluated(EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var label = report.Step == 0 ? "zero-shot" : $"step {report.Step}";
        var best = report.IsBest && report.Split == "dev" && report.Step > 0 ? "  (best so far)" : "";
        output.WriteLine(Format($"{label} {report.Split} {report.MetricName} {report.Metric:F4} | {report.Split} loss {report.Loss:F4}{best}"));
    }

    public void Checkpointed(long completedSteps, string directory) => output.WriteLine(Format($"checkpoint after step {completedSteps}: {directory}"));

    public void Message(string text) => output.WriteLine(text);

    internal static string Eta(TimeSpan eta) => eta.TotalHours >= 1 ? eta.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : eta.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
