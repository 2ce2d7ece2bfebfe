namespace Bszo.Models.Training;

/// <summary>What a run is about to do.</summary>
public sealed record RunStart(long TotalSteps, long StartStep, long ReplayedSteps, long TrainableElements, string Optimizer,
    int ForwardPassesPerStep, int TrainExamples, int DevExamples, int TestExamples, string? ResumedFrom);

/// <summary>Progress after one optimizer step.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="TotalSteps">Steps planned.</param>
/// <param name="Loss">The step's loss at unperturbed weights (or the mean of its perturbed losses).</param>
/// <param name="LearningRate">The step's learning rate.</param>
/// <param name="ProjectedGradient">The projected gradient (MeZO's g), when the method reports one.</param>
/// <param name="ForwardPasses">Training forward passes so far.</param>
/// <param name="ForwardPassesPerSecond">Training forward passes per second of this session's training time.</param>
/// <param name="StepsPerSecond">Steps per second of this session's training time.</param>
/// <param name="Eta">Estimated time to the last step.</param>
/// <param name="PeakRssBytes">Peak resident memory of the process.</param>
public sealed record StepReport(long Step, long TotalSteps, double Loss, double LearningRate, double? ProjectedGradient, long ForwardPasses,
    double ForwardPassesPerSecond, double StepsPerSecond, TimeSpan Eta, long PeakRssBytes);

/// <summary>An evaluation result.</summary>
/// <param name="Step">Steps completed when evaluated (0: zero-shot).</param>
/// <param name="Split">"dev" or "test".</param>
/// <param name="Loss">Mean loss.</param>
/// <param name="Metric">Accuracy or F1.</param>
/// <param name="MetricName">"accuracy" or "f1".</param>
/// <param name="IsBest">Whether this dev score is the best so far.</param>
public sealed record EvalReport(long Step, string Split, double Loss, double Metric, string MetricName, bool IsBest);

/// <summary>Receives a run's progress (console display, JSON lines, tests). Called on the training thread.</summary>
public interface ITrainingObserver
{
    void Started(RunStart start);

    void Stepped(StepReport report);

    void Evaluated(EvalReport report);

    void Checkpointed(long completedSteps, string directory);

    /// <summary>A one-line message (resume details, early stopping).</summary>
    void Message(string text);
}

/// <summary>An observer that ignores everything.</summary>
public sealed class SilentObserver : ITrainingObserver
{
    public void Started(RunStart start)
    {
    }

    public void Stepped(StepReport report)
    {
    }

    public void Evaluated(EvalReport report)
    {
    }

    public void Checkpointed(long completedSteps, string directory)
    {
    }

    public void Message(string text)
    {
    }
}
