using System.Runtime.CompilerServices;

namespace Bszo.Ort.Perturbation;

/// <summary>
/// The vectorised Gaussian kernels for one register width: z of <see cref="GaussianNoise"/> for whole
/// blocks of <see cref="BlockSize"/> elements (<c>TLanes.Count / 8</c> groups of 16), and the fused
/// sweep and fill built on them. The scalar definitions they must match bit for bit are
/// <see cref="GaussianNoise.Value"/> and <see cref="SweepKernels.AccumulateReference(Span{float}, long, ReadOnlySpan{NoiseTerm}, float, NoiseKind)"/>.
/// </summary>
/// <remarks>
/// Lane l of a register serves group l / 8 of the block, lane l % 8 of that group: its radius comes
/// from counter 16·(l / 8) + l % 8 of the block, its angle from that counter + 8. The 64-bit
/// generator lanes hold even counters in one register and odd ones in another, so that
/// interleaving their 32-bit results yields the lanes in counter order.
/// </remarks>
internal static class GaussianKernel<TLanes>
    where TLanes : unmanaged, ILanes<TLanes>
{
    /// <summary>Elements per block: two registers.</summary>
    public static int BlockSize => 2 * TLanes.Count;

    /// <summary>Elements per chunk of <see cref="Accumulate"/>: its sums (1 KiB) stay in the L1 cache.</summary>
    private const int ChunkElements = 256;

    /// <summary>
    /// Adds <c>Σⱼ cⱼ·z(kⱼ, first + i)</c> to <c>decay·w[i]</c>: the sum over streams is formed in fp32
    /// in stream order, then added to the weight once. Partial blocks at either end are computed
    /// whole into a scratch block and applied element by element.
    /// </summary>
    /// <remarks>
    /// Streams are summed chunk by chunk into a stack buffer, one stream at a time, so that the loop
    /// over a chunk's blocks holds one stream's registers (see <see cref="SumStream"/>).
    /// </remarks>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimised from the first sweep: tier-0 vector code is ~20× slower
    public static unsafe void Accumulate(Span<float> weights, long first, ReadOnlySpan<NoiseTerm> terms, float decay)
    {
        int size = BlockSize;
        float* sums = stackalloc float[ChunkElements];
        // With no streams nothing writes the sums (SumStream starts them): they must read as 0.
        if (terms.IsEmpty) new Span<float>(sums, ChunkElements).Clear();
        int length = weights.Length;
        int head = SweepKernels.UnalignedHead(first, size, length);

        fixed (float* w = weights)
        {
            if (head > 0)
            {
                SumBlock(terms, first / size, sums);
                int offset = (int)(first & (size - 1));
                for (int i = 0; i < head; i++) w[i] = decay * w[i] + sums[offset + i];
            }
            var vdecay = TLanes.Float(decay);
            int at = head;
            while (at + size <= length)
            {
                int blocks = Math.Min(ChunkElements, length - at) / size;
                long firstBlock = (first + at) / size;
                for (int j = 0; j < terms.Length; j++) SumStream(terms[j], firstBlock, blocks, sums, add: j > 0);
                for (int b = 0; b < blocks; b++)
                {
                    var (sum0, sum1) = TLanes.ElementOrder(TLanes.Load(sums + b * size), TLanes.Load(sums + b * size + TLanes.Count));
                    float* p = w + at + b * size;
                    TLanes.Store(vdecay * TLanes.Load(p) + sum0, p);
                    TLanes.Store(vdecay * TLanes.Load(p + TLanes.Count) + sum1, p + TLanes.Count);
                }
                at += blocks * size;
            }
            if (at < length)
            {
                SumBlock(terms, (first + at) / size, sums);
                for (int i = at; i < length; i++) w[i] = decay * w[i] + sums[i - at];
            }
        }
    }

    /// <summary>
    /// Adds c·z of one stream for <paramref name="blocks"/> blocks to <paramref name="sums"/> (or
    /// starts them from 0 when <paramref name="add"/> is false), each block as its r·cos θ lanes then its r·sin θ lanes.
    /// </summary>
    // Its own method, with the stream's registers built locally: the JIT keeps them in registers across
    // the loop. Inlined into a loop over streams, or read through a pointer to an array of streams, they
    // were spilled (three streams took 4-10× one stream's time).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SumStream(NoiseTerm term, long firstBlock, int blocks, float* sums, bool add)
    {
        var stream = new Stream(term);
        var zero = TLanes.Float(0f);
        for (int b = 0; b < blocks; b++)
        {
            var (cosines, sines) = Pairs(stream, firstBlock + b);
            float* p = sums + b * BlockSize;
            var previous0 = add ? TLanes.Load(p) : zero;
            var previous1 = add ? TLanes.Load(p + TLanes.Count) : zero;
            TLanes.Store(previous0 + stream.Coefficient * cosines, p);
            TLanes.Store(previous1 + stream.Coefficient * sines, p + TLanes.Count);
        }
    }

    /// <summary>Writes z(key, first + i) into <paramref name="destination"/>.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Fill(ulong key, long first, Span<float> destination)
    {
        var stream = new Stream(new NoiseTerm(key, 1f));
        int size = BlockSize;
        float* scratch = stackalloc float[size];
        int length = destination.Length;
        int at = 0;
        fixed (float* z = destination)
        {
            while (at < length)
            {
                long index = first + at;
                int offset = (int)(index & (size - 1));
                var (cosines, sines) = Pairs(stream, index / size);
                var (z0, z1) = TLanes.ElementOrder(cosines, sines);
                if (offset == 0 && at + size <= length)
                {
                    TLanes.Store(z0, z + at);
                    TLanes.Store(z1, z + at + TLanes.Count);
                    at += size;
                    continue;
                }
                TLanes.Store(z0, scratch);
                TLanes.Store(z1, scratch + TLanes.Count);
                int count = Math.Min(size - offset, length - at);
                for (int i = 0; i < count; i++) z[at + i] = scratch[offset + i];
                at += count;
            }
        }
    }

    /// <summary>Σⱼ cⱼ·z for one block, in element order, into <paramref name="destination"/>.</summary>
    private static unsafe void SumBlock(ReadOnlySpan<NoiseTerm> terms, long block, float* destination)
    {
        for (int j = 0; j < terms.Length; j++) SumStream(terms[j], block, 1, destination, add: j > 0);
        var (sum0, sum1) = TLanes.ElementOrder(TLanes.Load(destination), TLanes.Load(destination + TLanes.Count));
        TLanes.Store(sum0, destination);
        TLanes.Store(sum1, destination + TLanes.Count);
    }

    /// <summary>(r·cos θ, r·sin θ) for every lane of block <paramref name="block"/> of one stream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TLanes Cosines, TLanes Sines) Pairs(in Stream s, long block)
    {
        // counter·key is formed as (block start)·key + offset·key, all modulo 2⁶⁴, exactly as the scalar product.
        var start = TLanes.UInt64((ulong)block * s.KeyPerBlock);
        var even = TLanes.AddUInt64(start, s.EvenOffsets);
        var odd = TLanes.AddUInt64(start, s.OddOffsets);
        var radiusBits = Interleave(Squares24(even, s.Key), Squares24(odd, s.Key));
        var angleBits = Interleave(Squares24(TLanes.AddUInt64(even, s.Eight), s.Key), Squares24(TLanes.AddUInt64(odd, s.Eight), s.Key));
        var r = GaussianMath.Radius(radiusBits);
        var (sin, cos) = GaussianMath.SinCos2Pi(angleBits);
        return (r * cos, r * sin);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TLanes Interleave(TLanes evenLanes, TLanes oddLanes) => evenLanes | TLanes.ShiftLeftUInt64(oddLanes, 32);

    /// <summary>
    /// <see cref="SquaresRng.Next"/> for each 64-bit lane given x = counter·key, returning the top 24
    /// bits of each 32-bit output in the low bits of its lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TLanes Squares24(TLanes x, TLanes key)
    {
        var y = x;
        var z = TLanes.AddUInt64(y, key);
        x = TLanes.SwapHalvesUInt64(TLanes.AddUInt64(TLanes.SquareUInt64(x), y));
        x = TLanes.SwapHalvesUInt64(TLanes.AddUInt64(TLanes.SquareUInt64(x), z));
        x = TLanes.SwapHalvesUInt64(TLanes.AddUInt64(TLanes.SquareUInt64(x), y));
        return TLanes.ShiftRightLogicalUInt64(TLanes.AddUInt64(TLanes.SquareUInt64(x), z), 40);
    }

    /// <summary>Registers that depend only on the stream: its key, the lanes' counter offsets times the key, the coefficient.</summary>
    private readonly struct Stream
    {
        public readonly TLanes Key;
        public readonly TLanes EvenOffsets;
        public readonly TLanes OddOffsets;
        public readonly TLanes Eight;
        public readonly TLanes Coefficient;
        public readonly ulong KeyPerBlock;

        [SkipLocalsInit]
        public Stream(NoiseTerm term)
        {
            ulong k = term.Key;
            int pairs = TLanes.Count / 2;
            Span<ulong> even = stackalloc ulong[pairs];
            Span<ulong> odd = stackalloc ulong[pairs];
            for (int j = 0; j < pairs; j++)
            {
                // 64-bit lane j holds 32-bit lanes 2j and 2j + 1: group (2j) / 8, counters 2j % 8 and 2j % 8 + 1.
                ulong counter = (ulong)(GaussianNoise.GroupSize * (2 * j / 8) + 2 * j % 8);
                even[j] = counter * k;
                odd[j] = (counter + 1) * k;
            }
            Key = TLanes.UInt64(k);
            EvenOffsets = TLanes.FromUInt64(even);
            OddOffsets = TLanes.FromUInt64(odd);
            Eight = TLanes.UInt64(8 * k);
            Coefficient = TLanes.Float(term.Coefficient);
            KeyPerBlock = (ulong)(2 * TLanes.Count) * k;
        }
    }
}
