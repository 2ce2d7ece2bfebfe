using System.Runtime.Intrinsics;
using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// The restore-and-update of ZO-SGD with heavy-ball momentum, per element:
/// <c>m ← μ·m + g·z</c>, then <c>w ← decay·(w + r·z) − η·m</c>, where r·z brings the weights back from
/// the last perturbation.
/// </summary>
/// <remarks>
/// This is PyTorch's <c>SGD(momentum=μ)</c> (dampening 0, not Nesterov) fed the SPSA estimate g·z,
/// which is what ZO-Bench's ZO-SGD-MMT does; a zero-initialised m makes the first step m = g·z, as
/// PyTorch's lazily created buffer does.
/// </remarks>
/// <param name="Restore">Coefficient of z that undoes the pending perturbation.</param>
/// <param name="ProjectedGradient">The scalar g.</param>
/// <param name="Momentum">μ.</param>
/// <param name="LearningRate">η.</param>
internal readonly record struct MomentumUpdate(float Restore, float ProjectedGradient, float Momentum, float LearningRate) : IElementUpdate
{
    public static int Slots => 1;

    public static bool WritesState => true;

    public void Scalar(float z, float decay, ref float w, ref float s0, ref float s1)
    {
        float m = Momentum * s0 + ProjectedGradient * z;
        w = decay * (w + Restore * z) - LearningRate * m;
        s0 = m;
    }

    public void Vector(Vector256<float> z, Vector256<float> decay, ref Vector256<float> w, ref Vector256<float> s0, ref Vector256<float> s1)
    {
        var m = Vector256.Create(Momentum) * s0 + Vector256.Create(ProjectedGradient) * z;
        w = decay * (w + Vector256.Create(Restore) * z) - Vector256.Create(LearningRate) * m;
        s0 = m;
    }
}
