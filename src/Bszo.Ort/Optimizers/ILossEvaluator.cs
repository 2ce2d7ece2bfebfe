namespace Bszo.Ort.Optimizers;

/// <summary>One forward pass: the mean loss of the current minibatch at the current weights.</summary>
public interface ILossEvaluator
{
    /// <summary>Runs a forward pass and returns the mean loss (double).</summary>
    double Evaluate();
}

/// <summary>Adapts a delegate (tests, synthetic objectives).</summary>
public sealed class DelegateLossEvaluator(Func<double> evaluate) : ILossEvaluator
{
    public double Evaluate() => evaluate();
}
