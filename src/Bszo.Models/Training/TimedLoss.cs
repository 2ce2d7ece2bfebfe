using System.Diagnostics;
using Bszo.Ort.Optimizers;

namespace Bszo.Models.Training;

/// <summary>
/// The loss evaluator of training steps: the step's own source of losses (<see cref="Source"/>: forward
/// passes here, or a cluster's answers), timed.
/// </summary>
internal sealed class TimedLoss : ILossEvaluator
{
    /// <summary>Where the current step's losses come from.</summary>
    public ILossEvaluator? Source { get; set; }

    /// <summary>Seconds spent waiting for losses (forward passes, or the cluster's rounds).</summary>
    public double Seconds { get; private set; }

    public double Evaluate()
    {
        var source = Source ?? throw new InvalidOperationException("No step is in progress.");
        long start = Stopwatch.GetTimestamp();
        try
        {
            return source.Evaluate();
        }
        finally
        {
            Seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
    }
}
