using System.Runtime.Intrinsics;

namespace Bszo.Ort.Perturbation;

/// <summary>
/// The per-element arithmetic of an update that reads one Gaussian z per element and up to two
/// per-element state values (see <see cref="ElementKernel"/>), written twice: once for a scalar and
/// once for eight lanes.
/// </summary>
/// <remarks>
/// Both forms must perform the same IEEE operations in the same order (no fused multiply-add, no
/// approximate reciprocals), so that the vectorised sweep and the scalar reference agree bit for bit.
/// </remarks>
public interface IElementUpdate
{
    /// <summary>State values per element the update reads (0, 1 or 2).</summary>
    static abstract int Slots { get; }

    /// <summary>Whether the update writes its state values back.</summary>
    static abstract bool WritesState { get; }

    /// <summary>
    /// Updates one weight <paramref name="w"/> and its state <paramref name="s0"/>, <paramref name="s1"/>
    /// given z and the tensor's weight-decay factor <paramref name="decay"/> (1 when it is not decayable).
    /// </summary>
    void Scalar(float z, float decay, ref float w, ref float s0, ref float s1);

    /// <summary>The same as <see cref="Scalar"/> for eight consecutive elements.</summary>
    void Vector(Vector256<float> z, Vector256<float> decay, ref Vector256<float> w, ref Vector256<float> s0, ref Vector256<float> s1);
}
