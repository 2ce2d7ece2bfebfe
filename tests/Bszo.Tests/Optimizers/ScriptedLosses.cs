using Bszo.Ort.Optimizers;

namespace Bszo.Tests.Optimizers;

/// <summary>Returns given losses in order: drives an optimizer through chosen branches without a model.</summary>
internal sealed class ScriptedLosses(params double[] losses) : ILossEvaluator
{
    private int _next;

    public double Evaluate() => _next < losses.Length ? losses[_next++] : throw new InvalidOperationException("The script ran out of losses.");
}
