namespace Bszo.Ort.Perturbation;

/// <summary>
/// One SIMD register width (<see cref="Lanes256"/>, <see cref="Lanes512"/>) seen through the
/// operations the noise kernels use, so that each kernel is written once for every width.
/// </summary>
/// <remarks>
/// <para>A value is a register of raw bits; each operation says how it reads them: as
/// <see cref="Count"/> fp32 lanes (the operators), as int32 lanes, or as 64-bit lanes (the
/// generator). Every fp32 operation is one IEEE operation rounded once (no fused multiply-add, no
/// approximations), exactly as the scalar definitions write it, so every width computes the same bits.</para>
/// <para>Implementations are single-field structs whose members inline to one or a few instructions.</para>
/// </remarks>
internal interface ILanes<TSelf>
    where TSelf : unmanaged, ILanes<TSelf>
{
    /// <summary>fp32 lanes per register (8 or 16).</summary>
    static abstract int Count { get; }

    /// <summary>Whether this width runs in hardware here (otherwise .NET emulates it, correctly but slowly).</summary>
    static abstract bool IsHardwareAccelerated { get; }

    static abstract TSelf Float(float value);

    static abstract TSelf Int(int value);

    static abstract TSelf UInt64(ulong value);

    /// <summary>A register from <see cref="Count"/> uint32 lanes.</summary>
    static abstract TSelf FromUInt32(ReadOnlySpan<uint> lanes);

    /// <summary>A register from <see cref="Count"/>/2 uint64 lanes.</summary>
    static abstract TSelf FromUInt64(ReadOnlySpan<ulong> lanes);

    static abstract unsafe TSelf Load(float* source);

    static abstract unsafe void Store(TSelf value, float* destination);

    static abstract TSelf operator +(TSelf left, TSelf right);

    static abstract TSelf operator -(TSelf left, TSelf right);

    static abstract TSelf operator *(TSelf left, TSelf right);

    static abstract TSelf operator /(TSelf left, TSelf right);

    static abstract TSelf operator &(TSelf left, TSelf right);

    static abstract TSelf operator |(TSelf left, TSelf right);

    static abstract TSelf operator ^(TSelf left, TSelf right);

    static abstract TSelf Sqrt(TSelf x);

    /// <summary>fp32 round to the nearest integer, ties to even.</summary>
    static abstract TSelf Round(TSelf x);

    /// <summary>fp32 <c>left &gt; right</c>: all ones where true.</summary>
    static abstract TSelf GreaterThan(TSelf left, TSelf right);

    /// <summary>Bits of <paramref name="whenTrue"/> where <paramref name="mask"/> is all ones, else of <paramref name="whenFalse"/>.</summary>
    static abstract TSelf Select(TSelf mask, TSelf whenTrue, TSelf whenFalse);

    /// <summary>int32 lanes to fp32 (rounded to nearest even).</summary>
    static abstract TSelf Int32ToFloat(TSelf x);

    /// <summary>fp32 lanes holding integers to int32.</summary>
    static abstract TSelf FloatToInt32(TSelf x);

    static abstract TSelf AddInt32(TSelf left, TSelf right);

    static abstract TSelf SubtractInt32(TSelf left, TSelf right);

    static abstract TSelf ShiftRightArithmeticInt32(TSelf x, int count);

    /// <summary>int32 <c>left == right</c>: all ones where true.</summary>
    static abstract TSelf EqualsInt32(TSelf left, TSelf right);

    /// <summary>int32 <c>left &gt; right</c>: all ones where true.</summary>
    static abstract TSelf GreaterThanInt32(TSelf left, TSelf right);

    static abstract TSelf AddUInt64(TSelf left, TSelf right);

    /// <summary>x·x mod 2⁶⁴ in each 64-bit lane.</summary>
    static abstract TSelf SquareUInt64(TSelf x);

    /// <summary>Swaps the 32-bit halves of each 64-bit lane.</summary>
    static abstract TSelf SwapHalvesUInt64(TSelf x);

    static abstract TSelf ShiftRightLogicalUInt64(TSelf x, int count);

    static abstract TSelf ShiftLeftUInt64(TSelf x, int count);

    /// <summary>
    /// Reorders two registers of Box–Muller results, each holding <see cref="Count"/>/8 groups' worth
    /// of r·cos θ (<paramref name="cosines"/>) and r·sin θ (<paramref name="sines"/>) lanes, into element
    /// order: group g's 8 cosine lanes, then its 8 sine lanes, for each group in turn (see <see cref="GaussianNoise"/>).
    /// </summary>
    static abstract (TSelf First, TSelf Second) ElementOrder(TSelf cosines, TSelf sines);
}
