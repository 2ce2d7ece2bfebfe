using Bszo.Models.Evaluation;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>
/// A step's losses from this process's own forward passes over the step's whole batch: the graph's
/// loss, or, given a <paramref name="score"/> evaluator (<c>--objective accuracy|f1</c>), minus the
/// batch's score as that evaluator scores dev examples.
/// </summary>
/// <remarks>Owns the batch bound for the step in progress; <see cref="Complete"/> frees it.</remarks>
public sealed class LocalStepLosses(TrainingCore core, TaskEvaluator? score = null) : IStepLosses
{
    private readonly ILossEvaluator _loss = new DelegateLossEvaluator(core.Session.Loss);
    private readonly BatchScoreLoss? _score = score is null ? null : new BatchScoreLoss(score);
    private TensorBatch? _batch;

    public ILossEvaluator Begin(long stepIndex)
    {
        var examples = core.Examples(stepIndex);
        if (examples.Length == 0) throw new InvalidOperationException("A whole batch is never empty.");
        _batch = core.Adapter.Collate(examples);
        core.Session.Bind(_batch);
        if (_score is null) return _loss;
        _score.Use(examples);
        return _score;
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
