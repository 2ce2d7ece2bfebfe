using System.Runtime.Intrinsics;
using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// The restore-and-update of ZO-Adam, per element, with ĝ = g·z:
/// <c>m ← β₁m + (1−β₁)ĝ</c>, <c>v ← β₂v + (1−β₂)ĝ²</c>,
/// <c>w ← decay·(w + r·z) − s·m/(√v/c₂ + δ)</c>, with step s = η/(1−β₁ᵗ) and c₂ = √(1−β₂ᵗ).
/// </summary>
/// <remarks>
/// The arithmetic follows PyTorch's <c>Adam</c> (what ZO-Bench's ZO-Adam feeds ĝ into):
/// denominator √v/√(1−β₂ᵗ) + δ, step η/(1−β₁ᵗ). r·z undoes the pending perturbation. Weight
/// decay, when asked for, is decoupled (AdamW-style) rather than PyTorch Adam's L2 term.
/// </remarks>
internal readonly record struct AdamUpdate(
    float Restore, float ProjectedGradient, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
    float StepSize, float SecondMomentCorrection, float Delta) : IElementUpdate
{
    public static int Slots => 2;

    public static bool WritesState => true;

    public void Scalar(float z, float decay, ref float w, ref float s0, ref float s1)
    {
        float gz = ProjectedGradient * z;
        float m = Beta1 * s0 + OneMinusBeta1 * gz;
        float v = Beta2 * s1 + OneMinusBeta2 * (gz * gz);
        float denominator = MathF.Sqrt(v) / SecondMomentCorrection + Delta;
        w = decay * (w + Restore * z) - StepSize * (m / denominator);
        s0 = m;
        s1 = v;
    }

    public void Vector(Vector256<float> z, Vector256<float> decay, ref Vector256<float> w, ref Vector256<float> s0, ref Vector256<float> s1)
    {
        var gz = Vector256.Create(ProjectedGradient) * z;
        var m = Vector256.Create(Beta1) * s0 + Vector256.Create(OneMinusBeta1) * gz;
        var v = Vector256.Create(Beta2) * s1 + Vector256.Create(OneMinusBeta2) * (gz * gz);
        var denominator = Vector256.Sqrt(v) / Vector256.Create(SecondMomentCorrection) + Vector256.Create(Delta);
        w = decay * (w + Vector256.Create(Restore) * z) - Vector256.Create(StepSize) * (m / denominator);
        s0 = m;
        s1 = v;
    }
}
