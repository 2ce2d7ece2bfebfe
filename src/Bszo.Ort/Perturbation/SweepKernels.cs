using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Bszo.Ort.Perturbation;

/// <summary>
/// The inner loop of every weight mutation: <c>w[i] ← decay·w[i] + Σⱼ cⱼ·Z(kⱼ, first + i)</c> over a
/// span of fp32 master weights, in one read-modify-write pass.
/// </summary>
/// <remarks>
/// Two implementations compute the same function bit for bit: <see cref="AccumulateReference"/>, a
/// plain scalar loop over <see cref="GaussianNoise.Value"/>, and <see cref="Accumulate"/>, which uses
/// AVX2 for whole 16-element groups. The sum over streams is formed in fp32 in stream order and then
/// added to the weight once, in both paths. Neither allocates.
/// </remarks>
public static class SweepKernels
{
    /// <summary>Whether the vectorised kernel is used on this machine.</summary>
    public static bool IsVectorized => Avx2.IsSupported;

    /// <summary>Scalar reference: the definition that the fast kernel must match exactly.</summary>
    public static void AccumulateReference(Span<float> weights, long firstIndex, ReadOnlySpan<NoiseTerm> streams, float decay)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            float sum = 0f;
            foreach (var stream in streams) sum += stream.Coefficient * GaussianNoise.Value(stream.Key, firstIndex + i);
            weights[i] = decay * weights[i] + sum;
        }
    }

    /// <summary>
    /// Fast path. <paramref name="firstIndex"/> need not be group-aligned; partial groups at either
    /// end are computed whole into a scratch group and applied element by element.
    /// </summary>
    [SkipLocalsInit]
    public static unsafe void Accumulate(Span<float> weights, long firstIndex, ReadOnlySpan<NoiseTerm> streams, float decay)
    {
        if (!Avx2.IsSupported)
        {
            AccumulateReference(weights, firstIndex, streams, decay);
            return;
        }

        int length = weights.Length;
        int head = (int)((GaussianNoise.GroupSize - (firstIndex & (GaussianNoise.GroupSize - 1))) & (GaussianNoise.GroupSize - 1));
        if (head > length) head = length;
        float* scratch = stackalloc float[GaussianNoise.GroupSize];

        fixed (float* w = weights)
        {
            if (head > 0) ApplyPartial(w, firstIndex, head, streams, decay, scratch);

            int i = head;
            var vdecay = Vector256.Create(decay);
            for (; i + GaussianNoise.GroupSize <= length; i += GaussianNoise.GroupSize)
            {
                long group = (firstIndex + i) >> 4;
                var sum0 = Vector256<float>.Zero;
                var sum1 = Vector256<float>.Zero;
                foreach (var stream in streams)
                {
                    var (z0, z1) = Group(stream.Key, group);
                    var c = Vector256.Create(stream.Coefficient);
                    sum0 += c * z0;
                    sum1 += c * z1;
                }
                float* p = w + i;
                Vector256.Store(vdecay * Vector256.Load(p) + sum0, p);
                Vector256.Store(vdecay * Vector256.Load(p + 8) + sum1, p + 8);
            }

            if (i < length) ApplyPartial(w + i, firstIndex + i, length - i, streams, decay, scratch);
        }
    }

    /// <summary>Applies a run of fewer than 16 elements that lies inside one group.</summary>
    private static unsafe void ApplyPartial(float* w, long firstIndex, int count, ReadOnlySpan<NoiseTerm> streams, float decay, float* scratch)
    {
        long group = firstIndex >> 4;
        int offset = (int)(firstIndex & 15);
        var sum0 = Vector256<float>.Zero;
        var sum1 = Vector256<float>.Zero;
        foreach (var stream in streams)
        {
            var (z0, z1) = Group(stream.Key, group);
            var c = Vector256.Create(stream.Coefficient);
            sum0 += c * z0;
            sum1 += c * z1;
        }
        Vector256.Store(sum0, scratch);
        Vector256.Store(sum1, scratch + 8);
        for (int j = 0; j < count; j++) w[j] = decay * w[j] + scratch[offset + j];
    }

    /// <summary>z for the 16 elements of one group: (elements 0–7, elements 8–15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector256<float> Low, Vector256<float> High) Group(ulong key, long group)
    {
        // Counters 16g + {0..7} feed the radius, 16g + {8..15} the angle. With four 64-bit lanes per
        // register, even counters go in one register and odd ones in another so that interleaving
        // their 32-bit results yields lanes in counter order.
        var vkey = Vector256.Create(key);
        var start = Vector256.Create((ulong)(group * GaussianNoise.GroupSize) * key);
        var even = start + Vector256.Create(0UL, 2, 4, 6) * vkey;
        var odd = start + Vector256.Create(1UL, 3, 5, 7) * vkey;
        var eight = Vector256.Create(8UL) * vkey;
        var radiusBits = Interleave(Squares24(even, vkey), Squares24(odd, vkey));
        var angleBits = Interleave(Squares24(even + eight, vkey), Squares24(odd + eight, vkey));
        var r = GaussianMath.Radius(radiusBits);
        var (sin, cos) = GaussianMath.SinCos2Pi(angleBits);
        return (r * cos, r * sin);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Interleave(Vector256<ulong> evenLanes, Vector256<ulong> oddLanes) =>
        (evenLanes | Vector256.ShiftLeft(oddLanes, 32)).AsUInt32();

    /// <summary>
    /// <see cref="SquaresRng.Next"/> for four counters at once, given x = counter·key, returning the
    /// top 24 bits of each 32-bit output in the low bits of its lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Squares24(Vector256<ulong> x, Vector256<ulong> key)
    {
        var y = x;
        var z = y + key;
        x = SwapHalves(Square(x) + y);
        x = SwapHalves(Square(x) + z);
        x = SwapHalves(Square(x) + y);
        return Vector256.ShiftRightLogical(Square(x) + z, 40);
    }

    /// <summary>x² mod 2⁶⁴ = lo·lo + (lo·hi ≪ 33), two unsigned 32×32→64 multiplies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Square(Vector256<ulong> x)
    {
        var hi = Vector256.ShiftRightLogical(x, 32);
        var lowLow = Avx2.Multiply(x.AsUInt32(), x.AsUInt32());
        var lowHigh = Avx2.Multiply(x.AsUInt32(), hi.AsUInt32());
        return lowLow + Vector256.ShiftLeft(lowHigh, 33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> SwapHalves(Vector256<ulong> x) =>
        Avx2.Shuffle(x.AsUInt32(), 0b10_11_00_01).AsUInt64();
}
