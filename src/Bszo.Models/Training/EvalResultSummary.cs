namespace Bszo.Models.Training;

/// <summary>One evaluation's headline numbers.</summary>
public sealed record EvalResultSummary(long Step, double Loss, double Metric, string MetricName, int Examples);
