using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Bszo.Ort.Perturbation;

/// <summary>
/// Box–Muller on 24-bit uniforms, written once for scalars and once for <see cref="Vector256{T}"/>
/// with the same operations in the same order, so that both give identical bits.
/// </summary>
/// <remarks>
/// <para>Only IEEE-exact operations are used (+, −, ×, ÷, √, rounding, integer bit operations): no
/// library log/sin/cos and no fused multiply-add, whose results differ between CPUs and runtimes.
/// The noise is therefore a pure function of (key, index) on every machine, which is what makes a
/// trajectory log replay bit-exactly elsewhere.</para>
/// <para>The uniform is u = (b + 0.5)·2⁻²⁴ for a 24-bit integer b, so u ∈ (0, 1) and ln u is finite;
/// the largest radius is √(2·25·ln 2) ≈ 5.9, i.e. the Gaussian tail is cut at 5.9σ (probability 4e-9).</para>
/// <para>ln m on [√½, √2) uses s = (m−1)/(m+1) and the odd series 2(s + s³/3 + s⁵/5 + s⁷/7 + s⁹/9)
/// (|s| ≤ 0.172, truncation error below 2e-10). sin and cos use Taylor polynomials on [−π/4, π/4]
/// after an exact quadrant reduction of 4u.</para>
/// </remarks>
internal static class GaussianMath
{
    private const float Scale24 = 5.9604645e-08f;          // 2^-24
    private const float Ln2Hi = 0.693145751953125f;         // ln 2 split so that e·Ln2Hi is exact
    private const float Ln2Lo = 1.428606765330187e-06f;
    private const float Sqrt2 = 1.41421356f;
    private const float HalfPi = 1.57079632679f;
    private const float L3 = 1f / 3f, L5 = 1f / 5f, L7 = 1f / 7f, L9 = 1f / 9f;
    private const float S3 = 1f / 6f, S5 = 1f / 120f, S7 = 1f / 5040f, S9 = 1f / 362880f;
    private const float C2 = 0.5f, C4 = 1f / 24f, C6 = 1f / 720f, C8 = 1f / 40320f, C10 = 1f / 3628800f;

    /// <summary>√(−2 ln u) for the uniform encoded by the 24-bit integer <paramref name="bits24"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Radius(uint bits24)
    {
        float u = ((float)(int)bits24 + 0.5f) * Scale24;
        int ib = BitConverter.SingleToInt32Bits(u);
        int e = (ib >> 23) - 127;
        float m = BitConverter.Int32BitsToSingle((ib & 0x7FFFFF) | 0x3F800000);
        if (m > Sqrt2)
        {
            m *= 0.5f;
            e += 1;
        }
        float s = (m - 1f) / (m + 1f);
        float s2 = s * s;
        float p = L9;
        p = p * s2 + L7;
        p = p * s2 + L5;
        p = p * s2 + L3;
        float lnm = (s + s) + (s + s) * s2 * p;
        float ef = e;
        float ln = ef * Ln2Hi + (ef * Ln2Lo + lnm);
        return MathF.Sqrt(-2f * ln);
    }

    /// <summary>(sin 2πu, cos 2πu) for the uniform encoded by <paramref name="bits24"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float Sin, float Cos) SinCos2Pi(uint bits24)
    {
        float u = ((float)(int)bits24 + 0.5f) * Scale24;
        float t = u * 4f;
        float q = MathF.Round(t, MidpointRounding.ToEven);
        float a = (t - q) * HalfPi;
        float a2 = a * a;
        float sp = S9;
        sp = sp * a2 - S7;
        sp = sp * a2 + S5;
        sp = sp * a2 - S3;
        float sn = a + a * a2 * sp;
        float cp = C10;
        cp = cp * a2 - C8;
        cp = cp * a2 + C6;
        cp = cp * a2 - C4;
        cp = cp * a2 + C2;
        float cs = 1f - a2 * cp;
        int k = (int)q & 3;
        float sinv = (k & 1) == 1 ? cs : sn;
        float cosv = (k & 1) == 1 ? sn : cs;
        if (k > 1) sinv = -sinv;
        if (k == 1 || k == 2) cosv = -cosv;
        return (sinv, cosv);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Radius(Vector256<uint> bits24)
    {
        var u = (Vector256.ConvertToSingle(bits24.AsInt32()) + Vector256.Create(0.5f)) * Vector256.Create(Scale24);
        var ib = u.AsInt32();
        var e = Vector256.ShiftRightArithmetic(ib, 23) - Vector256.Create(127);
        var m = ((ib & Vector256.Create(0x7FFFFF)) | Vector256.Create(0x3F800000)).AsSingle();
        var big = Vector256.GreaterThan(m, Vector256.Create(Sqrt2));
        m = Vector256.ConditionalSelect(big, m * Vector256.Create(0.5f), m);
        e -= big.AsInt32(); // true lanes are all ones, i.e. -1
        var one = Vector256.Create(1f);
        var s = (m - one) / (m + one);
        var s2 = s * s;
        var p = Vector256.Create(L9);
        p = p * s2 + Vector256.Create(L7);
        p = p * s2 + Vector256.Create(L5);
        p = p * s2 + Vector256.Create(L3);
        var lnm = (s + s) + (s + s) * s2 * p;
        var ef = Vector256.ConvertToSingle(e);
        var ln = ef * Vector256.Create(Ln2Hi) + (ef * Vector256.Create(Ln2Lo) + lnm);
        return Vector256.Sqrt(Vector256.Create(-2f) * ln);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Sin, Vector256<float> Cos) SinCos2Pi(Vector256<uint> bits24)
    {
        var u = (Vector256.ConvertToSingle(bits24.AsInt32()) + Vector256.Create(0.5f)) * Vector256.Create(Scale24);
        var t = u * Vector256.Create(4f);
        var q = Vector256.Round(t);
        var a = (t - q) * Vector256.Create(HalfPi);
        var a2 = a * a;
        var sp = Vector256.Create(S9);
        sp = sp * a2 - Vector256.Create(S7);
        sp = sp * a2 + Vector256.Create(S5);
        sp = sp * a2 - Vector256.Create(S3);
        var sn = a + a * a2 * sp;
        var cp = Vector256.Create(C10);
        cp = cp * a2 - Vector256.Create(C8);
        cp = cp * a2 + Vector256.Create(C6);
        cp = cp * a2 - Vector256.Create(C4);
        cp = cp * a2 + Vector256.Create(C2);
        var cs = Vector256.Create(1f) - a2 * cp;
        var k = Vector256.ConvertToInt32(q) & Vector256.Create(3);
        var odd = Vector256.Equals(k & Vector256.Create(1), Vector256.Create(1)).AsSingle();
        var sinv = Vector256.ConditionalSelect(odd, cs, sn);
        var cosv = Vector256.ConditionalSelect(odd, sn, cs);
        var negSin = Vector256.GreaterThan(k, Vector256.Create(1)).AsSingle();
        var negCos = (Vector256.Equals(k, Vector256.Create(1)) | Vector256.Equals(k, Vector256.Create(2))).AsSingle();
        var signBit = Vector256.Create(-0f);
        return (sinv ^ (negSin & signBit), cosv ^ (negCos & signBit));
    }
}
