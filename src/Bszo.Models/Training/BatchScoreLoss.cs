using Bszo.Models.Adapters;
using Bszo.Models.Evaluation;
using Bszo.Ort.Optimizers;

namespace Bszo.Models.Training;

/// <summary>
/// Minus the task's score of the step's batch at the current weights, computed exactly as a dev
/// evaluation scores examples (<see cref="TaskEvaluator.ScoreSum"/>): the objective of
/// <c>--objective accuracy</c> and <c>--objective f1</c>.
/// </summary>
internal sealed class BatchScoreLoss(TaskEvaluator evaluator) : ILossEvaluator
{
    private IReadOnlyList<PromptedExample> _batch = [];

    /// <summary>The examples the following evaluations score (the step's batch).</summary>
    public void Use(IReadOnlyList<PromptedExample> batch) => _batch = batch ?? throw new ArgumentNullException(nameof(batch));

    public double Evaluate() =>
        _batch.Count > 0 ? -evaluator.ScoreSum(_batch) / _batch.Count : throw new InvalidOperationException("No batch to score: call Use(batch) first.");
}
