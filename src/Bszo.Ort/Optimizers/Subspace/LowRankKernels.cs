using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// The inner loop of a low-rank sweep: one row segment of <c>W ← decay·W + (U·C)·Vᵀ</c> for a
/// tensor viewed as a rows × columns matrix, without ever forming the m × n product.
/// </summary>
/// <remarks>
/// For row i the caller first forms the r coefficients a = U[i,:]·C (<see cref="RowCoefficients"/>,
/// in double, rounded once to fp32); then each element is w[j] ← decay·w[j] + Σₖ a[k]·Vᵀ[k, j], the
/// sum formed in fp32 in order k = 0, 1, … from 0. <see cref="AccumulateRowReference"/> does this one
/// element at a time; <see cref="AccumulateRow"/> does eight columns per vector with the same
/// operations in the same order (no fused multiply-add), so the two agree bit for bit. Work per
/// element is r multiply-adds and no random numbers, which is why SubZero's sweeps are cheaper than
/// Gaussian ones.
/// </remarks>
public static class LowRankKernels
{
    /// <summary>a[k] = Σₗ uRow[l]·core[l·r + k] (r = a.Length), accumulated in double.</summary>
    public static void RowCoefficients(ReadOnlySpan<float> uRow, ReadOnlySpan<double> core, Span<float> a)
    {
        int r = a.Length;
        for (int k = 0; k < r; k++)
        {
            double sum = 0;
            for (int l = 0; l < uRow.Length; l++) sum += uRow[l] * core[l * r + k];
            a[k] = (float)sum;
        }
    }

    /// <summary>
    /// Reference: <paramref name="weights"/> holds columns [firstColumn, firstColumn + weights.Length)
    /// of one row; <paramref name="vt"/> is Vᵀ, r × <paramref name="columns"/>, row-major.
    /// </summary>
    public static void AccumulateRowReference(Span<float> weights, ReadOnlySpan<float> a, ReadOnlySpan<float> vt, int columns, int firstColumn, float decay)
    {
        for (int j = 0; j < weights.Length; j++)
        {
            float sum = 0f;
            for (int k = 0; k < a.Length; k++) sum += a[k] * vt[k * columns + firstColumn + j];
            weights[j] = decay * weights[j] + sum;
        }
    }

    /// <summary>Fast path of <see cref="AccumulateRowReference"/>; identical results.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimised from the first sweep, like SweepKernels.Accumulate
    public static unsafe void AccumulateRow(Span<float> weights, ReadOnlySpan<float> a, ReadOnlySpan<float> vt, int columns, int firstColumn, float decay)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            AccumulateRowReference(weights, a, vt, columns, firstColumn, decay);
            return;
        }
        if (vt.Length < a.Length * columns || firstColumn + weights.Length > columns)
        {
            throw new ArgumentException("The row segment does not fit the basis.", nameof(weights));
        }
        int length = weights.Length;
        int r = a.Length;
        var vdecay = Vector256.Create(decay);
        fixed (float* w = weights, pa = a, pv = vt)
        {
            float* v0 = pv + firstColumn;
            int j = 0;
            for (; j + 8 <= length; j += 8)
            {
                var sum = Vector256<float>.Zero;
                for (int k = 0; k < r; k++) sum += Vector256.Create(pa[k]) * Vector256.Load(v0 + (long)k * columns + j);
                Vector256.Store(vdecay * Vector256.Load(w + j) + sum, w + j);
            }
            for (; j < length; j++)
            {
                float sum = 0f;
                for (int k = 0; k < r; k++) sum += pa[k] * v0[(long)k * columns + j];
                w[j] = decay * w[j] + sum;
            }
        }
    }
}
