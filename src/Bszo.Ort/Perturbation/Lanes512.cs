using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Bszo.Ort.Perturbation;

/// <summary>The AVX-512 width: sixteen fp32 lanes in a <see cref="Vector512{T}"/>.</summary>
/// <remarks>
/// Used where <see cref="Vector512.IsHardwareAccelerated"/>; elsewhere .NET emulates these registers
/// in software, which the tests use to check this kernel's bits on machines without AVX-512.
/// </remarks>
internal readonly struct Lanes512 : ILanes<Lanes512>
{
#pragma warning disable CS0649 // written only through Unsafe.BitCast (see Wrap)
    private readonly Vector512<float> _bits;
#pragma warning restore CS0649

    // Unsafe.BitCast is a JIT intrinsic: wrapping a register costs no inlining budget, which the long
    // kernels (hundreds of operations, all inlined into one loop) would otherwise exhaust.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Lanes512 Wrap<T>(Vector512<T> bits) => Unsafe.BitCast<Vector512<T>, Lanes512>(bits);

    public static int Count => 16;

    public static bool IsHardwareAccelerated => Vector512.IsHardwareAccelerated;

    public static Lanes512 Float(float value) => Wrap(Vector512.Create(value));

    public static Lanes512 Int(int value) => Wrap(Vector512.Create(value));

    public static Lanes512 UInt64(ulong value) => Wrap(Vector512.Create(value));

    public static Lanes512 FromUInt32(ReadOnlySpan<uint> lanes) => Wrap(Vector512.Create(lanes));

    public static Lanes512 FromUInt64(ReadOnlySpan<ulong> lanes) => Wrap(Vector512.Create(lanes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Lanes512 Load(float* source) => Wrap(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(Lanes512 value, float* destination) => Vector512.Store(value._bits, destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator +(Lanes512 left, Lanes512 right) => Wrap(left._bits + right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator -(Lanes512 left, Lanes512 right) => Wrap(left._bits - right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator *(Lanes512 left, Lanes512 right) => Wrap(left._bits * right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator /(Lanes512 left, Lanes512 right) => Wrap(left._bits / right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator &(Lanes512 left, Lanes512 right) => Wrap(left._bits & right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator |(Lanes512 left, Lanes512 right) => Wrap(left._bits | right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator ^(Lanes512 left, Lanes512 right) => Wrap(left._bits ^ right._bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Sqrt(Lanes512 x) => Wrap(Vector512.Sqrt(x._bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Round(Lanes512 x) => Wrap(Vector512.Round(x._bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 GreaterThan(Lanes512 left, Lanes512 right) => Wrap(Vector512.GreaterThan(left._bits, right._bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Select(Lanes512 mask, Lanes512 whenTrue, Lanes512 whenFalse) => Wrap(Vector512.ConditionalSelect(mask._bits, whenTrue._bits, whenFalse._bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Int32ToFloat(Lanes512 x) => Wrap(Vector512.ConvertToSingle(x._bits.AsInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 FloatToInt32(Lanes512 x) => Wrap(Vector512.ConvertToInt32(x._bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 AddInt32(Lanes512 left, Lanes512 right) => Wrap(left._bits.AsInt32() + right._bits.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 SubtractInt32(Lanes512 left, Lanes512 right) => Wrap(left._bits.AsInt32() - right._bits.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 ShiftRightArithmeticInt32(Lanes512 x, int count) => Wrap(Vector512.ShiftRightArithmetic(x._bits.AsInt32(), count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 EqualsInt32(Lanes512 left, Lanes512 right) => Wrap(Vector512.Equals(left._bits.AsInt32(), right._bits.AsInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 GreaterThanInt32(Lanes512 left, Lanes512 right) => Wrap(Vector512.GreaterThan(left._bits.AsInt32(), right._bits.AsInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 AddUInt64(Lanes512 left, Lanes512 right) => Wrap(left._bits.AsUInt64() + right._bits.AsUInt64());

    /// <summary>x² mod 2⁶⁴: one 64-bit multiply (VPMULLQ with AVX-512DQ).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 SquareUInt64(Lanes512 x) => Wrap(x._bits.AsUInt64() * x._bits.AsUInt64());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 SwapHalvesUInt64(Lanes512 x) =>
        Wrap(Avx512F.IsSupported ? Avx512F.RotateLeft(x._bits.AsUInt64(), 32) : Vector512.ShiftRightLogical(x._bits.AsUInt64(), 32) | Vector512.ShiftLeft(x._bits.AsUInt64(), 32));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 ShiftRightLogicalUInt64(Lanes512 x, int count) => Wrap(Vector512.ShiftRightLogical(x._bits.AsUInt64(), count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 ShiftLeftUInt64(Lanes512 x, int count) => Wrap(Vector512.ShiftLeft(x._bits.AsUInt64(), count));

    /// <summary>Two groups per register (lanes 0–7: group 0, lanes 8–15: group 1): each group's cosines, then its sines.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Lanes512 First, Lanes512 Second) ElementOrder(Lanes512 cosines, Lanes512 sines) =>
        (Wrap(Vector512.Create(cosines._bits.GetLower(), sines._bits.GetLower())), Wrap(Vector512.Create(cosines._bits.GetUpper(), sines._bits.GetUpper())));
}
