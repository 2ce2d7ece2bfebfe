using System.Diagnostics;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>The loss evaluator of training steps: one forward pass on the batch bound to the session, timed.</summary>
internal sealed class TimedLoss(TrainingGraphSession session) : ILossEvaluator
{
    /// <summary>Seconds spent in forward passes.</summary>
    public double Seconds { get; private set; }

    public double Evaluate()
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return session.Loss();
        }
        finally
        {
            Seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
    }
}
