namespace Bszo.Models.Training;

/// <summary>An evaluation result.</summary>
/// <param name="Step">Steps completed when evaluated (0: zero-shot).</param>
/// <param name="Split">"dev" or "test".</param>
/// <param name="Loss">Mean loss.</param>
/// <param name="Metric">Accuracy or F1.</param>
/// <param name="MetricName">"accuracy" or "f1".</param>
/// <param name="IsBest">Whether this dev score is the best so far.</param>
public sealed record EvalReport(long Step, string Split, double Loss, double Metric, string MetricName, bool IsBest);
