using Bszo.Ort.Optimizers;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>A step's losses from this process's own forward passes over the step's whole batch.</summary>
/// <remarks>Owns the batch bound for the step in progress; <see cref="Complete"/> frees it.</remarks>
public sealed class LocalStepLosses(TrainingCore core) : IStepLosses
{
    private readonly ILossEvaluator _loss = new DelegateLossEvaluator(core.Session.Loss);
    private TensorBatch? _batch;

    public ILossEvaluator Begin(long stepIndex)
    {
        _batch = core.Batch(stepIndex) ?? throw new InvalidOperationException("A whole batch is never empty.");
        core.Session.Bind(_batch);
        return _loss;
    }

    public void Complete(StepRecord? record)
    {
        _batch?.Dispose();
        _batch = null;
    }

    public void Finish(long steps)
    {
    }
}
