using Bszo.Models.Adapters;
using Bszo.Models.Tasks;
using Bszo.Ort;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Evaluation;

/// <summary>
/// Scores a model on examples of a task: the mean loss, and accuracy (through the adapter's
/// predictions) or F1 (through greedy decoding, for adapters that implement <see cref="IGreedyDecoder"/>).
/// </summary>
/// <remarks>Borrows the session; evaluates the weights the session reads now.</remarks>
public sealed class TaskEvaluator
{
    private readonly ModelAdapter _adapter;
    private readonly TrainingGraphSession _session;
    private readonly PromptTask _task;
    private readonly int _batchSize;

    /// <summary>Creates an evaluator over <paramref name="session"/>.</summary>
    public TaskEvaluator(ModelAdapter adapter, TrainingGraphSession session, PromptTask task, int batchSize = 32)
    {
        _adapter = adapter ?? throw new ArgumentNullException(nameof(adapter));
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _task = task ?? throw new ArgumentNullException(nameof(task));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _batchSize = batchSize;
        if (task.Kind == TaskKind.Generation && adapter is not IGreedyDecoder)
        {
            Throw.Bszo($"Task '{task.Name}' is scored on generated answers, which model kind '{adapter.Kind}' cannot produce.",
                "a decoder language model (kind decoder-lm)", adapter.Kind, "choose a classification task, or a decoder model.");
        }
    }

    /// <summary>Scores <paramref name="examples"/>.</summary>
    public EvalResult Evaluate(IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) Throw.Bszo("Nothing to evaluate.", "at least one example", "none");
        long passesBefore = _session.ForwardPasses;
        double lossSum = 0, metricSum = 0;
        for (int start = 0; start < examples.Count; start += _batchSize)
        {
            var chunk = examples.Skip(start).Take(_batchSize).ToList();
            using (var batch = _adapter.Collate(chunk))
            {
                _session.Bind(batch);
                lossSum += _session.Loss() * chunk.Count;
            }
            metricSum += ScoreSum(chunk);
        }
        return new EvalResult(lossSum / examples.Count, metricSum / examples.Count, _task.Metric, examples.Count, _session.ForwardPasses - passesBefore);
    }

    /// <summary>
    /// The task's score summed over <paramref name="batch"/> (examples that fit one forward pass) at the
    /// current weights: correct predictions, or each example's best token F1 over its gold answers.
    /// </summary>
    public double ScoreSum(IReadOnlyList<PromptedExample> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        double sum = 0;
        if (_task.Kind == TaskKind.Generation)
        {
            var answers = GreedyDecoding.Generate((IGreedyDecoder)_adapter, _session, batch.Select(e => e.Prompt).ToList());
            for (int i = 0; i < batch.Count; i++) sum += AnswerF1.MaxF1(answers[i], batch[i].Candidates);
        }
        else
        {
            var predicted = _adapter.Predict(_session, batch);
            for (int i = 0; i < batch.Count; i++) if (predicted[i] == batch[i].Label) sum++;
        }
        return sum;
    }
}
