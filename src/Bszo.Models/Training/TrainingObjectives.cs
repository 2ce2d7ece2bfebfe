using Bszo.Models.Tasks;
using Bszo.Ort;

namespace Bszo.Models.Training;

/// <summary>
/// What a training step's forward passes hand the optimizer: the graph's loss (the cross-entropy the
/// loss head computes), or minus the task's own score of the step's batch — accuracy, or token F1 for
/// generation tasks. The score is not differentiable; a zeroth-order method needs only its values
/// (MeZO, Malladi et al. 2023, §3.3).
/// </summary>
public static class TrainingObjectives
{
    /// <summary>The graph's per-example loss (the default).</summary>
    public const string Loss = "loss";

    /// <summary>Minus the fraction of the batch predicted correctly (classification and multiple-choice tasks).</summary>
    public const string Accuracy = "accuracy";

    /// <summary>Minus the batch's mean token F1 of greedily decoded answers (generation tasks).</summary>
    public const string F1 = "f1";

    /// <summary>The names `--objective` accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [Loss, Accuracy, F1];

    /// <summary>
    /// Whether <paramref name="objective"/> is the task's score rather than the graph's loss.
    /// </summary>
    /// <exception cref="BszoException">The name is unknown, or names a score the task is not scored by.</exception>
    public static bool UsesTaskScore(string objective, PromptTask task)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(task);
        if (objective == Loss) return false;
        if (objective is not (Accuracy or F1))
        {
            Throw.Bszo($"Unknown training objective '{objective}'.", string.Join(", ", Names), objective,
                $"--objective {task.Metric} trains on the task's own score, --objective {Loss} on the loss.");
        }
        if (objective != task.Metric)
        {
            Throw.Bszo($"--objective {objective} does not fit task '{task.Name}', which is scored by {task.Metric}.",
                $"{Loss} or {task.Metric}", objective, $"use --objective {task.Metric} (or {Loss}).");
        }
        return true;
    }
}
