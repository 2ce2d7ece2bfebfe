using System.Runtime.Intrinsics;
using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// HiZOO's preconditioned perturbation, per element: <c>w ← w + (c·z)/√H</c>, where H is the
/// diagonal Hessian estimate (read, not written) and c is ±ε or −2ε.
/// </summary>
/// <param name="Coefficient">c.</param>
internal readonly record struct HessianPerturbation(float Coefficient) : IElementUpdate
{
    public static int Slots => 1;

    public static bool WritesState => false;

    public void Scalar(float z, float decay, ref float w, ref float s0, ref float s1) =>
        w += Coefficient * z / MathF.Sqrt(s0);

    public void Vector(Vector256<float> z, Vector256<float> decay, ref Vector256<float> w, ref Vector256<float> s0, ref Vector256<float> s1) =>
        w += Vector256.Create(Coefficient) * z / Vector256.Sqrt(s0);
}
