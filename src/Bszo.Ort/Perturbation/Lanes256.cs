using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Bszo.Ort.Perturbation;

/// <summary>The AVX2 width: eight fp32 lanes in a <see cref="Vector256{T}"/>.</summary>
/// <remarks>AVX2 has no 64-bit multiply; the square is formed from two 32×32→64 multiplies.</remarks>
internal readonly struct Lanes256 : ILanes<Lanes256>
{
#pragma warning disable CS0649 // written only through Unsafe.BitCast (see Wrap)
    private readonly Vector256<float> _bits;
#pragma warning restore CS0649

    // Unsafe.BitCast is a JIT intrinsic: wrapping a register costs no inlining budget, which the long
    // kernels (hundreds of operations, all inlined into one loop) would otherwise exhaust.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Lanes256 Wrap<T>(Vector256<T> bits) => Unsafe.BitCast<Vector256<T>, Lanes256>(bits);

    public static int Count => 8;

    public static bool IsHardwareAccelerated => Avx2.IsSupported;

    public static Lanes256 Float(float value) => Wrap(Vector256.Create(value));

    public static Lanes256 Int(int value) => Wrap(Vector256.Create(value));

    public static Lanes256 UInt64(ulong value) => Wrap(Vector256.Create(value));

    public static Lanes256 FromUInt32(ReadOnlySpan<uint> lanes) => Wrap(Vector256.Create(lanes));

    public static Lanes256 FromUInt64(ReadOnlySpan<ulong> lanes) => Wrap(Vector256.Create(lanes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Lanes256 Load(float* source) => Wrap(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(Lanes256 value, float* destination) => Vector256.Store(value._bits, destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator +(Lanes256 left, Lanes256 right) => Wrap(left._bits + right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator -(Lanes256 left, Lanes256 right) => Wrap(left._bits - right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator *(Lanes256 left, Lanes256 right) => Wrap(left._bits * right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator /(Lanes256 left, Lanes256 right) => Wrap(left._bits / right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator &(Lanes256 left, Lanes256 right) => Wrap(left._bits & right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator |(Lanes256 left, Lanes256 right) => Wrap(left._bits | right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator ^(Lanes256 left, Lanes256 right) => Wrap(left._bits ^ right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Sqrt(Lanes256 x) => Wrap(Vector256.Sqrt(x._bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Round(Lanes256 x) => Wrap(Vector256.Round(x._bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 GreaterThan(Lanes256 left, Lanes256 right) => Wrap(Vector256.GreaterThan(left._bits, right._bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Select(Lanes256 mask, Lanes256 whenTrue, Lanes256 whenFalse) => Wrap(Vector256.ConditionalSelect(mask._bits, whenTrue._bits, whenFalse._bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Int32ToFloat(Lanes256 x) => Wrap(Vector256.ConvertToSingle(x._bits.AsInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 FloatToInt32(Lanes256 x) => Wrap(Vector256.ConvertToInt32(x._bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 AddInt32(Lanes256 left, Lanes256 right) => Wrap(left._bits.AsInt32() + right._bits.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 SubtractInt32(Lanes256 left, Lanes256 right) => Wrap(left._bits.AsInt32() - right._bits.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 ShiftRightArithmeticInt32(Lanes256 x, int count) => Wrap(Vector256.ShiftRightArithmetic(x._bits.AsInt32(), count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 EqualsInt32(Lanes256 left, Lanes256 right) => Wrap(Vector256.Equals(left._bits.AsInt32(), right._bits.AsInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 GreaterThanInt32(Lanes256 left, Lanes256 right) => Wrap(Vector256.GreaterThan(left._bits.AsInt32(), right._bits.AsInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 AddUInt64(Lanes256 left, Lanes256 right) => Wrap(left._bits.AsUInt64() + right._bits.AsUInt64());

    /// <summary>x² mod 2⁶⁴ = lo·lo + (lo·hi ≪ 33): two unsigned 32×32→64 multiplies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 SquareUInt64(Lanes256 x)
    {
        var hi = Vector256.ShiftRightLogical(x._bits.AsUInt64(), 32);
        var lowLow = Avx2.Multiply(x._bits.AsUInt64().AsUInt32(), x._bits.AsUInt64().AsUInt32());
        var lowHigh = Avx2.Multiply(x._bits.AsUInt64().AsUInt32(), hi.AsUInt32());
        return Wrap(lowLow + Vector256.ShiftLeft(lowHigh, 33));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 SwapHalvesUInt64(Lanes256 x) => Wrap(Avx2.Shuffle(x._bits.AsUInt64().AsUInt32(), 0b10_11_00_01));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 ShiftRightLogicalUInt64(Lanes256 x, int count) => Wrap(Vector256.ShiftRightLogical(x._bits.AsUInt64(), count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 ShiftLeftUInt64(Lanes256 x, int count) => Wrap(Vector256.ShiftLeft(x._bits.AsUInt64(), count));

    /// <summary>One group per register: the cosines are elements 0–7, the sines 8–15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Lanes256 First, Lanes256 Second) ElementOrder(Lanes256 cosines, Lanes256 sines) => (cosines, sines);
}
