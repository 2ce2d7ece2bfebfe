using System.Runtime.CompilerServices;

namespace Bszo.Ort.Perturbation;

/// <summary>
/// The definition of the Rademacher direction z: element <c>i</c> of the stream with key <c>k</c>
/// is −1 where bit <c>i mod 32</c> of <c>SquaresRng.Next(i / 32, k)</c> is set, else +1.
/// </summary>
/// <remarks>
/// One generator output serves 32 consecutive elements, so making the noise costs a few
/// instructions per 32 elements: a sweep with Rademacher directions runs at the speed of memory.
/// </remarks>
public static class RademacherNoise
{
    /// <summary>Elements per generator output.</summary>
    public const int WordSize = 32;

    /// <summary>The reference definition of z for one element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Value(ulong key, long index) =>
        ((SquaresRng.Next((ulong)(index >> 5), key) >> (int)(index & 31)) & 1) == 0 ? 1f : -1f;
}

/// <summary>
/// The vectorised Rademacher sweep for one register width: for each 32-element word, one generator
/// output per stream, whose bits flip the sign of the stream's coefficient lane by lane.
/// </summary>
/// <remarks>
/// c·z is ±c exactly, so the vector kernel (sign flips) and the scalar definition (multiplications
/// by ±1) agree bit for bit; the sum over streams is formed in the same order in both.
/// </remarks>
internal static class RademacherKernel<TLanes>
    where TLanes : unmanaged, ILanes<TLanes>
{
    /// <summary>Adds <c>Σⱼ cⱼ·z(kⱼ, first + i)</c> to <c>decay·w[i]</c>; partial words at either end go through the scalar definition.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Accumulate(Span<float> weights, long first, ReadOnlySpan<NoiseTerm> terms, float decay)
    {
        const int word = RademacherNoise.WordSize;
        int length = weights.Length;
        int head = SweepKernels.UnalignedHead(first, word, length);
        SweepKernels.AccumulateReference(weights[..head], first, terms, decay, NoiseKind.Rademacher);

        int count = terms.Length;
        var coefficients = stackalloc TLanes[count];
        var words = stackalloc TLanes[count];
        for (int j = 0; j < count; j++) coefficients[j] = TLanes.Float(terms[j].Coefficient);
        var vdecay = TLanes.Float(decay);
        var signBit = TLanes.Float(-0f);
        int subvectors = word / TLanes.Count;
        var bits = stackalloc TLanes[subvectors];
        LaneBits(bits);

        int at = head;
        fixed (float* w = weights)
        {
            for (; at + word <= length; at += word)
            {
                ulong counter = (ulong)((first + at) >> 5);
                for (int j = 0; j < count; j++) words[j] = TLanes.Int((int)SquaresRng.Next(counter, terms[j].Key));
                for (int v = 0; v < subvectors; v++)
                {
                    var sum = TLanes.Float(0f);
                    for (int j = 0; j < count; j++)
                    {
                        var negative = TLanes.EqualsInt32(words[j] & bits[v], bits[v]);
                        sum += coefficients[j] ^ (negative & signBit);
                    }
                    float* p = w + at + v * TLanes.Count;
                    TLanes.Store(vdecay * TLanes.Load(p) + sum, p);
                }
            }
        }
        SweepKernels.AccumulateReference(weights[at..], first + at, terms, decay, NoiseKind.Rademacher);
    }

    /// <summary>Writes z(key, first + i) into <paramref name="destination"/>.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Fill(ulong key, long first, Span<float> destination)
    {
        const int word = RademacherNoise.WordSize;
        int length = destination.Length;
        int head = SweepKernels.UnalignedHead(first, word, length);
        for (int i = 0; i < head; i++) destination[i] = RademacherNoise.Value(key, first + i);

        var one = TLanes.Float(1f);
        var signBit = TLanes.Float(-0f);
        int subvectors = word / TLanes.Count;
        var bits = stackalloc TLanes[subvectors];
        LaneBits(bits);
        int at = head;
        fixed (float* z = destination)
        {
            for (; at + word <= length; at += word)
            {
                var output = TLanes.Int((int)SquaresRng.Next((ulong)((first + at) >> 5), key));
                for (int v = 0; v < subvectors; v++)
                {
                    var negative = TLanes.EqualsInt32(output & bits[v], bits[v]);
                    TLanes.Store(one ^ (negative & signBit), z + at + v * TLanes.Count);
                }
            }
        }
        for (int i = at; i < length; i++) destination[i] = RademacherNoise.Value(key, first + i);
    }

    /// <summary>For each register v of a word, the bit of the generator output that each lane reads: lane l of register v reads bit v·Count + l.</summary>
    [SkipLocalsInit]
    private static unsafe void LaneBits(TLanes* registers)
    {
        Span<uint> lanes = stackalloc uint[TLanes.Count];
        for (int v = 0; v < RademacherNoise.WordSize / TLanes.Count; v++)
        {
            for (int l = 0; l < TLanes.Count; l++) lanes[l] = 1u << (v * TLanes.Count + l);
            registers[v] = TLanes.FromUInt32(lanes);
        }
    }
}
