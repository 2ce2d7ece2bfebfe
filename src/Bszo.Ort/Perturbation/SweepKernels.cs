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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimised from the first sweep: tier-0 vector code is ~20× slower
    public static unsafe void Accumulate(Span<float> weights, long firstIndex, ReadOnlySpan<NoiseTerm> streams, float decay)
    {
        if (!Avx2.IsSupported)
        {
            AccumulateReference(weights, firstIndex, streams, decay);
            return;
        }

        // Per-stream constants, computed once per call rather than once per group.
        StreamConstants* constants = stackalloc StreamConstants[streams.Length];
        for (int j = 0; j < streams.Length; j++) constants[j] = new StreamConstants(streams[j]);

        int length = weights.Length;
        int head = (int)((GaussianNoise.GroupSize - (firstIndex & (GaussianNoise.GroupSize - 1))) & (GaussianNoise.GroupSize - 1));
        if (head > length) head = length;
        float* scratch = stackalloc float[GaussianNoise.GroupSize];

        fixed (float* w = weights)
        {
            if (head > 0) ApplyPartial(w, firstIndex, head, constants, streams.Length, decay, scratch);

            int i = head;
            var vdecay = Vector256.Create(decay);
            for (; i + GaussianNoise.GroupSize <= length; i += GaussianNoise.GroupSize)
            {
                var (sum0, sum1) = SumStreams(constants, streams.Length, (firstIndex + i) >> 4);
                float* p = w + i;
                Vector256.Store(vdecay * Vector256.Load(p) + sum0, p);
                Vector256.Store(vdecay * Vector256.Load(p + 8) + sum1, p + 8);
            }

            if (i < length) ApplyPartial(w + i, firstIndex + i, length - i, constants, streams.Length, decay, scratch);
        }
    }

    /// <summary>Σⱼ cⱼ·z for the 16 elements of one group, accumulated in stream order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector256<float>, Vector256<float>) SumStreams(StreamConstants* constants, int count, long group)
    {
        var sum0 = Vector256<float>.Zero;
        var sum1 = Vector256<float>.Zero;
        for (int j = 0; j < count; j++)
        {
            var (z0, z1) = Group(in constants[j], group);
            sum0 += constants[j].Coefficient * z0;
            sum1 += constants[j].Coefficient * z1;
        }
        return (sum0, sum1);
    }

    /// <summary>Applies a run of fewer than 16 elements that lies inside one group.</summary>
    private static unsafe void ApplyPartial(float* w, long firstIndex, int count, StreamConstants* constants, int streamCount, float decay, float* scratch)
    {
        var (sum0, sum1) = SumStreams(constants, streamCount, firstIndex >> 4);
        Vector256.Store(sum0, scratch);
        Vector256.Store(sum1, scratch + 8);
        int offset = (int)(firstIndex & 15);
        for (int j = 0; j < count; j++) w[j] = decay * w[j] + scratch[offset + j];
    }

    /// <summary>z for the 16 elements of one group: (elements 0–7, elements 8–15).</summary>
    internal static (Vector256<float> Low, Vector256<float> High) Group(ulong key, long group) =>
        Group(new StreamConstants(new NoiseTerm(key, 1f)), group);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Low, Vector256<float> High) Group(in StreamConstants s, long group)
    {
        // Counters 16g + {0..7} feed the radius, 16g + {8..15} the angle. With four 64-bit lanes per
        // register, even counters go in one register and odd ones in another so that interleaving
        // their 32-bit results yields lanes in counter order. counter·key is formed as
        // (16g)·key + offset·key, all modulo 2⁶⁴, exactly as the scalar definition's product.
        var start = Vector256.Create((ulong)group * s.Key16);
        var even = start + s.EvenOffsets;
        var odd = start + s.OddOffsets;
        var radiusBits = Interleave(Squares24(even, s.Key), Squares24(odd, s.Key));
        var angleBits = Interleave(Squares24(even + s.Eight, s.Key), Squares24(odd + s.Eight, s.Key));
        var r = GaussianMath.Radius(radiusBits);
        var (sin, cos) = GaussianMath.SinCos2Pi(angleBits);
        return (r * cos, r * sin);
    }

    /// <summary>Vectors that depend only on the stream: its key, lane offsets times the key, and the coefficient.</summary>
    private readonly struct StreamConstants
    {
        public readonly Vector256<ulong> Key;
        public readonly Vector256<ulong> EvenOffsets;
        public readonly Vector256<ulong> OddOffsets;
        public readonly Vector256<ulong> Eight;
        public readonly Vector256<float> Coefficient;
        public readonly ulong Key16;

        public StreamConstants(NoiseTerm term)
        {
            ulong k = term.Key;
            Key = Vector256.Create(k);
            EvenOffsets = Vector256.Create(0UL, 2 * k, 4 * k, 6 * k);
            OddOffsets = Vector256.Create(k, 3 * k, 5 * k, 7 * k);
            Eight = Vector256.Create(8 * k);
            Coefficient = Vector256.Create(term.Coefficient);
            Key16 = 16 * k;
        }
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
