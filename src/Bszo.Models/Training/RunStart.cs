namespace Bszo.Models.Training;

/// <summary>What a run is about to do.</summary>
public sealed record RunStart(long TotalSteps, long StartStep, long ReplayedSteps, long TrainableElements, string Optimizer,
    int ForwardPassesPerStep, int TrainExamples, int DevExamples, int TestExamples, string? ResumedFrom);
