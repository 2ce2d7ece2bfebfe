using System.Diagnostics;
using Bszo.Ort.Optimizers;

namespace Bszo.Models.Training;

/// <summary>The loss evaluator of training steps: the run's objective on the step's batch (one forward pass for the loss), timed.</summary>
internal sealed class TimedLoss(ILossEvaluator objective) : ILossEvaluator
{
    /// <summary>Seconds spent in forward passes.</summary>
    public double Seconds { get; private set; }

    public double Evaluate()
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return objective.Evaluate();
        }
        finally
        {
            Seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
    }
}
