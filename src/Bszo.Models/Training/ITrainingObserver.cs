namespace Bszo.Models.Training;

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
