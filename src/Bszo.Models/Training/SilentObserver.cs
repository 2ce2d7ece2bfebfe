namespace Bszo.Models.Training;

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
