using System.Runtime.CompilerServices;

namespace Bszo.Ort.Perturbation;

/// <summary>
/// The definition of the Gaussian direction z: element <c>i</c> of the stream with key
/// <c>k</c> (see <see cref="SquaresRng.Key"/>) is a pure function <c>Z(k, i)</c>.
/// </summary>
/// <remarks>
/// Elements are taken in groups of 16. In group g, lane l ∈ [0, 8) pairs the uniforms drawn at
/// counters 16g + l (radius) and 16g + 8 + l (angle); element 16g + l receives r·cos θ and element
/// 16g + 8 + l receives r·sin θ. A group is one Box–Muller evaluation over eight lanes, so the vector
/// kernels (<see cref="GaussianKernel{TLanes}"/>) compute one group per AVX2 register and two per
/// AVX-512 register, and the scalar reference computes exactly the same numbers one element at a time.
/// </remarks>
public static class GaussianNoise
{
    /// <summary>Elements per group; chunk boundaries of the fast kernels are multiples of this.</summary>
    public const int GroupSize = 16;

    /// <summary>The reference definition of z for one element (slow; used by tests and tails).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Value(ulong key, long index)
    {
        long group = index >> 4;
        int lane = (int)(index & 7);
        bool second = (index & 8) != 0;
        ulong counter = (ulong)(group * GroupSize + lane);
        float r = GaussianMath.Radius(SquaresRng.Next(counter, key) >> 8);
        var (sin, cos) = GaussianMath.SinCos2Pi(SquaresRng.Next(counter + 8, key) >> 8);
        return second ? r * sin : r * cos;
    }

    /// <summary>Writes z for elements [firstIndex, firstIndex + destination.Length) (reference path).</summary>
    public static void FillReference(ulong key, long firstIndex, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = Value(key, firstIndex + i);
    }

    /// <summary>Writes z for elements [firstIndex, firstIndex + destination.Length) with the fastest kernel available.</summary>
    public static void Fill(ulong key, long firstIndex, Span<float> destination) =>
        SweepKernels.Fill(NoiseKind.Gaussian, KernelPaths.Fastest, key, firstIndex, destination);
}

/// <summary>One term <c>coefficient · Z(key, ·)</c> of a fused sweep.</summary>
/// <param name="Key">The stream key from <see cref="SquaresRng.Key"/> for one (seed, tensor).</param>
/// <param name="Coefficient">The fp32 multiplier applied to z.</param>
public readonly record struct NoiseTerm(ulong Key, float Coefficient);
