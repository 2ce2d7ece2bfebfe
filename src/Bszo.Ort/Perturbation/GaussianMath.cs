using System.Runtime.CompilerServices;

namespace Bszo.Ort.Perturbation;

/// <summary>
/// Box–Muller on 24-bit uniforms, written once for scalars and once for SIMD registers of any width
/// (<see cref="ILanes{TSelf}"/>) with the same operations in the same order, so that all give identical bits.
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

    /// <summary><see cref="Radius(uint)"/> for every lane of <paramref name="bits24"/>: the same operations in the same order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLanes Radius<TLanes>(TLanes bits24)
        where TLanes : unmanaged, ILanes<TLanes>
    {
        var u = (TLanes.Int32ToFloat(bits24) + TLanes.Float(0.5f)) * TLanes.Float(Scale24);
        var e = TLanes.SubtractInt32(TLanes.ShiftRightArithmeticInt32(u, 23), TLanes.Int(127));
        var m = (u & TLanes.Int(0x7FFFFF)) | TLanes.Int(0x3F800000);
        var big = TLanes.GreaterThan(m, TLanes.Float(Sqrt2));
        m = TLanes.Select(big, m * TLanes.Float(0.5f), m);
        e = TLanes.SubtractInt32(e, big); // true lanes are all ones, i.e. -1
        var one = TLanes.Float(1f);
        var s = (m - one) / (m + one);
        var s2 = s * s;
        var p = TLanes.Float(L9);
        p = p * s2 + TLanes.Float(L7);
        p = p * s2 + TLanes.Float(L5);
        p = p * s2 + TLanes.Float(L3);
        var lnm = (s + s) + (s + s) * s2 * p;
        var ef = TLanes.Int32ToFloat(e);
        var ln = ef * TLanes.Float(Ln2Hi) + (ef * TLanes.Float(Ln2Lo) + lnm);
        return TLanes.Sqrt(TLanes.Float(-2f) * ln);
    }

    /// <summary><see cref="SinCos2Pi(uint)"/> for every lane of <paramref name="bits24"/>: the same operations in the same order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TLanes Sin, TLanes Cos) SinCos2Pi<TLanes>(TLanes bits24)
        where TLanes : unmanaged, ILanes<TLanes>
    {
        var u = (TLanes.Int32ToFloat(bits24) + TLanes.Float(0.5f)) * TLanes.Float(Scale24);
        var t = u * TLanes.Float(4f);
        var q = TLanes.Round(t);
        var a = (t - q) * TLanes.Float(HalfPi);
        var a2 = a * a;
        var sp = TLanes.Float(S9);
        sp = sp * a2 - TLanes.Float(S7);
        sp = sp * a2 + TLanes.Float(S5);
        sp = sp * a2 - TLanes.Float(S3);
        var sn = a + a * a2 * sp;
        var cp = TLanes.Float(C10);
        cp = cp * a2 - TLanes.Float(C8);
        cp = cp * a2 + TLanes.Float(C6);
        cp = cp * a2 - TLanes.Float(C4);
        cp = cp * a2 + TLanes.Float(C2);
        var cs = TLanes.Float(1f) - a2 * cp;
        var k = TLanes.FloatToInt32(q) & TLanes.Int(3);
        var odd = TLanes.EqualsInt32(k & TLanes.Int(1), TLanes.Int(1));
        var sinv = TLanes.Select(odd, cs, sn);
        var cosv = TLanes.Select(odd, sn, cs);
        var negSin = TLanes.GreaterThanInt32(k, TLanes.Int(1));
        var negCos = TLanes.EqualsInt32(k, TLanes.Int(1)) | TLanes.EqualsInt32(k, TLanes.Int(2));
        var signBit = TLanes.Float(-0f);
        return (sinv ^ (negSin & signBit), cosv ^ (negCos & signBit));
    }
}
