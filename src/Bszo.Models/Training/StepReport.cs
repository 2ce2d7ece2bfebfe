namespace Bszo.Models.Training;

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
