using System.Diagnostics;
using Bszo.Bench.Measure;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Runtime;

namespace Bszo.Bench.Probes;

/// <summary>The optimizers' loss evaluator: one forward pass of the training graph on the bound batch, timed, with the sampler's phase set around it.</summary>
internal sealed class TimedForward(TrainingGraphSession session, RssSampler? sampler) : ILossEvaluator
{
    /// <summary>Seconds spent in forward passes so far.</summary>
    public double Seconds { get; private set; }

    public double Evaluate()
    {
        if (sampler is not null) sampler.Phase = "forward";
        long start = Stopwatch.GetTimestamp();
        try
        {
            return session.Loss();
        }
        finally
        {
            Seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (sampler is not null) sampler.Phase = "sweep";
        }
    }
}
