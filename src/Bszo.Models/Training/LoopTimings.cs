namespace Bszo.Models.Training;

/// <summary>Time spent in a session's training steps.</summary>
/// <param name="Steps">Steps run live (not replayed) in this session.</param>
/// <param name="StepSeconds">Wall time of those steps (collate, forward passes, sweeps, logging).</param>
/// <param name="ForwardSeconds">Time inside forward passes.</param>
/// <param name="SweepSeconds">Time inside perturbation sweeps.</param>
/// <param name="TimeToFirstStep">From the start of <see cref="Trainer.Run"/> to the end of the first live step.</param>
/// <param name="ReplaySeconds">Time spent replaying trajectory records on resume.</param>
public sealed record LoopTimings(long Steps, double StepSeconds, double ForwardSeconds, double SweepSeconds, TimeSpan? TimeToFirstStep, double ReplaySeconds)
{
    /// <summary>Time of the loop itself: collate, bind, logging, bookkeeping.</summary>
    public double OverheadSeconds => Math.Max(0, StepSeconds - ForwardSeconds - SweepSeconds);
}
