using System.Runtime.Intrinsics;
using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// A stateless restore-and-update along z, per element: <c>w ← decay·(w + r·z) + c·z</c>.
/// </summary>
/// <remarks>
/// Unlike folding r into one coefficient for all tensors, the restore is exact in intent for every
/// tensor: decay multiplies the restored weight, whether or not the tensor is decayable.
/// </remarks>
/// <param name="Restore">r: undoes the pending perturbation.</param>
/// <param name="Step">c: the update's coefficient of z (e.g. −η·sign(g)).</param>
internal readonly record struct GaussianStepUpdate(float Restore, float Step) : IElementUpdate
{
    public static int Slots => 0;

    public static bool WritesState => false;

    public void Scalar(float z, float decay, ref float w, ref float s0, ref float s1) =>
        w = decay * (w + Restore * z) + Step * z;

    public void Vector(Vector256<float> z, Vector256<float> decay, ref Vector256<float> w, ref Vector256<float> s0, ref Vector256<float> s1) =>
        w = decay * (w + Vector256.Create(Restore) * z) + Vector256.Create(Step) * z;
}
