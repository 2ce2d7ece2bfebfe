using System.Runtime.Intrinsics;
using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// HiZOO's last sweep of a step, per element, in one pass:
/// restore with the old H (<c>w ← w + ε·z/√H</c>), update the Hessian estimate
/// (<c>H' = max((1−α)H + ακ·H·z², H_min)</c>, κ = |L₊ + L₋ − 2L₀|/(2ε²)), and step with the new one
/// (<c>w ← decay·w − ηg·z/√H'</c>).
/// </summary>
/// <param name="Restore">ε: the weights sit at θ − ε·z/√H after the "−" evaluation.</param>
/// <param name="KeepFraction">1 − α.</param>
/// <param name="CurvatureWeight">α·κ.</param>
/// <param name="Floor">H_min.</param>
/// <param name="Step">η·g.</param>
internal readonly record struct HessianUpdate(float Restore, float KeepFraction, float CurvatureWeight, float Floor, float Step) : IElementUpdate
{
    public static int Slots => 1;

    public static bool WritesState => true;

    public void Scalar(float z, float decay, ref float w, ref float s0, ref float s1)
    {
        float h = s0;
        float restored = w + Restore * z / MathF.Sqrt(h);
        float updated = KeepFraction * h + CurvatureWeight * (h * (z * z));
        updated = updated > Floor ? updated : Floor; // also maps NaN to the floor, in both forms
        w = decay * restored - Step * z / MathF.Sqrt(updated);
        s0 = updated;
    }

    public void Vector(Vector256<float> z, Vector256<float> decay, ref Vector256<float> w, ref Vector256<float> s0, ref Vector256<float> s1)
    {
        var h = s0;
        var restored = w + Vector256.Create(Restore) * z / Vector256.Sqrt(h);
        var updated = Vector256.Create(KeepFraction) * h + Vector256.Create(CurvatureWeight) * (h * (z * z));
        var floor = Vector256.Create(Floor);
        updated = Vector256.ConditionalSelect(Vector256.GreaterThan(updated, floor), updated, floor);
        w = decay * restored - Vector256.Create(Step) * z / Vector256.Sqrt(updated);
        s0 = updated;
    }
}
