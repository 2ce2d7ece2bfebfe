using Bszo.Ort.Perturbation;

namespace Bszo.Models.Data;

/// <summary>
/// Deterministic permutations from a seed, built on the same counter-based generator as the
/// perturbations: the same (seed, stream) gives the same order on every machine and .NET version
/// (unlike <see cref="Random"/>, whose seeded sequence is not specified).
/// </summary>
public static class SeededShuffle
{
    /// <summary>A permutation of 0..<paramref name="count"/>−1 for (<paramref name="seed"/>, <paramref name="stream"/>).</summary>
    public static int[] Permutation(int count, ulong seed, long stream)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        Shuffle(order, seed, stream);
        return order;
    }

    /// <summary>Fisher–Yates shuffle of <paramref name="items"/> in place.</summary>
    public static void Shuffle<T>(T[] items, ulong seed, long stream)
    {
        ArgumentNullException.ThrowIfNull(items);
        ulong key = SquaresRng.Key(SquaresRng.SplitMix64(seed) ^ SquaresRng.SplitMix64((ulong)stream), tensorId: -1);
        for (int i = items.Length - 1; i > 0; i--)
        {
            // Multiply-shift maps a 32-bit draw to [0, i]; the bias is below i/2³², far under any
            // effect on sampling.
            int j = (int)(((ulong)SquaresRng.Next((ulong)i, key) * (ulong)(i + 1)) >> 32);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
