namespace Bszo.Models.Evaluation;

/// <summary>The scores of one evaluation.</summary>
/// <param name="Loss">Mean per-example loss (the training objective).</param>
/// <param name="Metric">Accuracy (classification, multiple choice) or token F1 (generation), in [0, 1].</param>
/// <param name="MetricName">"accuracy" or "f1".</param>
/// <param name="Examples">Examples scored.</param>
/// <param name="ForwardPasses">Forward passes the evaluation ran.</param>
public sealed record EvalResult(double Loss, double Metric, string MetricName, int Examples, long ForwardPasses);
