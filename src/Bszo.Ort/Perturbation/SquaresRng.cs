using System.Runtime.CompilerServices;

namespace Bszo.Ort.Perturbation;

/// <summary>
/// The counter-based generator behind every random direction: "squares" (B. Widynski, 2020,
/// arXiv:2004.06278), the 32-bit output variant with four rounds of square-and-swap.
/// </summary>
/// <remarks>
/// <para>Why this generator: the value for element i depends only on (key, i), so sweeps can run in
/// any order, on any number of threads, and replay bit-exactly on another machine. It uses only
/// 64-bit multiply, add and a swap of the two 32-bit halves, which ONNX can express with uint64
/// Mul/Add/Div/Mod: the same bits can be produced inside an ONNX graph on execution providers that
/// lack bitwise operators (the CUDA EP has no Xor or BitShift). Philox and Threefry need Xor.</para>
/// <para>The paper validates squares with BigCrush and PractRand for keys whose hexadecimal digits
/// are irregular; <see cref="Key"/> builds keys of that form from (seed, tensor id).</para>
/// </remarks>
public static class SquaresRng
{
    /// <summary>One 32-bit output for <paramref name="counter"/> under <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Next(ulong counter, ulong key)
    {
        ulong x = counter * key;
        ulong y = x;
        ulong z = y + key;
        x = x * x + y; x = (x >> 32) | (x << 32);
        x = x * x + z; x = (x >> 32) | (x << 32);
        x = x * x + y; x = (x >> 32) | (x << 32);
        return (uint)((x * x + z) >> 32);
    }

    /// <summary>
    /// The key for one tensor's stream under one step seed. Tensors are told apart by id so that
    /// tensors of equal shape never receive equal noise.
    /// </summary>
    /// <remarks>
    /// Each 32-bit half of the key holds eight distinct non-zero hexadecimal digits, and the lowest
    /// digit is odd (so counter * key is a bijection), following the key recommendations of the
    /// squares paper. The digits are drawn with SplitMix64 from a hash of (seed, tensorId).
    /// </remarks>
    public static ulong Key(ulong seed, int tensorId)
    {
        ulong state = seed ^ SplitMix64(0x9E3779B97F4A7C15UL + (ulong)(uint)tensorId);
        ulong lower = DistinctDigits(ref state, oddLowest: true);
        ulong upper = DistinctDigits(ref state, oddLowest: false);
        return (upper << 32) | lower;
    }

    /// <summary>SplitMix64 finaliser: a fast, well-mixed 64-bit hash (Steele, Lea and Flood, 2014).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>Derives the <paramref name="index"/>-th 64-bit seed of a run (per step, per stream).</summary>
    public static ulong DeriveSeed(ulong runSeed, long step, int index) =>
        SplitMix64(SplitMix64(runSeed ^ SplitMix64((ulong)step)) + (ulong)(uint)index);

    private static ulong DistinctDigits(ref ulong state, bool oddLowest)
    {
        Span<byte> pool = stackalloc byte[15];
        for (int d = 0; d < 15; d++) pool[d] = (byte)(d + 1);
        int remaining = 15;
        ulong word = 0;
        for (int position = 0; position < 8; position++)
        {
            state = SplitMix64(state);
            int pick;
            if (position == 0 && oddLowest)
            {
                // Odd digits sit at even pool positions before any removal: 1, 3, ..., 15.
                pick = (int)((state >> 32) % 8) * 2;
            }
            else
            {
                pick = (int)((state >> 32) % (ulong)remaining);
            }
            word |= (ulong)pool[pick] << (4 * position);
            pool[pick] = pool[remaining - 1];
            remaining--;
        }
        return word;
    }
}
