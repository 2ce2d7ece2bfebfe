using System.Globalization;
using Bszo.Models.Training;
using Spectre.Console;

namespace Bszo.Cli.Display;

/// <summary>
/// The live display on a terminal: a Spectre.Console progress bar whose line shows step, loss,
/// the latest dev score, forward passes per second, time left and peak memory. Spectre.Console is
/// not thread-safe, so the display is driven only from the training thread.
/// </summary>
internal static class LiveProgress
{
    public static TrainingResult Run(CliConsole console, TrainerInputs inputs, Func<ITrainingObserver, ITrainingObserver> decorate, CancellationToken cancel) =>
        console.Ansi.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => Trainer.Run(inputs, decorate(new Observer(console, context, inputs.Setup.Spec.Steps)), cancel));

    private sealed class Observer(CliConsole console, ProgressContext context, long steps) : ITrainingObserver
    {
        private readonly ProgressTask _task = context.AddTask("starting", maxValue: steps);
        private string _eval = "";
        private readonly System.Diagnostics.Stopwatch _sinceText = System.Diagnostics.Stopwatch.StartNew();

        public void Started(RunStart start)
        {
            _task.Value = start.StartStep;
            if (start.ResumedFrom is not null) console.Ansi.MarkupLine($"[grey]resumed at step {start.StartStep} ({start.ReplayedSteps} steps replayed)[/]");
        }

        public void Stepped(StepReport r)
        {
            _task.Value = r.Step;
            // The display redraws about ten times a second; cheap steps (a cached head: thousands a second) need not format more often.
            if (_sinceText.ElapsedMilliseconds < 100 && r.Step != r.TotalSteps && r.Step != 1) return;
            _sinceText.Restart();
            _task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"step {r.Step}/{r.TotalSteps}  loss {r.Loss:F4}{_eval}  {r.ForwardPassesPerSecond:F0} fwd/s  eta {PlainObserver.Eta(r.Eta)}  peak {r.PeakRssBytes / 1048576.0:F0} MB"));
        }

        public void Evaluated(EvalReport r)
        {
            if (r.Split != "dev") return;
            _eval = string.Create(CultureInfo.InvariantCulture, $"  dev {ShortName(r.MetricName)} {r.Metric:P1}");
            var label = r.Step == 0 ? "zero-shot" : $"step {r.Step}";
            console.Ansi.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{label}: dev {r.MetricName} {r.Metric:F4}, dev loss {r.Loss:F4}{(r.IsBest && r.Step > 0 ? "  (best so far)" : "")}")));
        }

        public void Checkpointed(long completedSteps, string directory)
        {
        }

        public void Message(string text) => console.Ansi.MarkupLine($"[grey]{Markup.Escape(text)}[/]");

        private static string ShortName(string metric) => metric == "accuracy" ? "acc" : metric;
    }
}
