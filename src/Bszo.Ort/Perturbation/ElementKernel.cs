using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Bszo.Ort.Perturbation;

/// <summary>
/// Runs an <see cref="IElementUpdate"/> over a span of weights and their per-element state, with
/// z = Z(key, firstIndex + i) regenerated on the fly: the inner loop of the momentum, Adam and HiZOO
/// sweeps.
/// </summary>
/// <remarks>
/// <see cref="Reference"/> is the definition: one element at a time with <see cref="GaussianNoise.Value"/>.
/// <see cref="Run"/> generates z sixteen at a time with the AVX2 generator of <see cref="SweepKernels"/>
/// and applies the update's vector form; partial groups at either end go through the scalar form.
/// The two agree bit for bit (tested). Neither allocates.
/// </remarks>
public static class ElementKernel
{
    /// <summary>Scalar reference over <paramref name="weights"/> and the state spans (empty when unused).</summary>
    public static void Reference<TUpdate>(in TUpdate update, ulong key, long firstIndex, float decay, Span<float> weights, Span<float> state0, Span<float> state1)
        where TUpdate : struct, IElementUpdate
    {
        CheckLengths<TUpdate>(weights, state0, state1);
        float unused0 = 0f, unused1 = 0f;
        for (int i = 0; i < weights.Length; i++)
        {
            float z = GaussianNoise.Value(key, firstIndex + i);
            ref float s0 = ref TUpdate.Slots > 0 ? ref state0[i] : ref unused0;
            ref float s1 = ref TUpdate.Slots > 1 ? ref state1[i] : ref unused1;
            update.Scalar(z, decay, ref weights[i], ref s0, ref s1);
        }
    }

    /// <summary>Fast path; identical results to <see cref="Reference{TUpdate}"/>.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimised from the first sweep, like SweepKernels.Accumulate
    public static unsafe void Run<TUpdate>(in TUpdate update, ulong key, long firstIndex, float decay, Span<float> weights, Span<float> state0, Span<float> state1)
        where TUpdate : struct, IElementUpdate
    {
        if (!Avx2.IsSupported)
        {
            Reference(update, key, firstIndex, decay, weights, state0, state1);
            return;
        }
        CheckLengths<TUpdate>(weights, state0, state1);

        int length = weights.Length;
        int head = (int)((GaussianNoise.GroupSize - (firstIndex & (GaussianNoise.GroupSize - 1))) & (GaussianNoise.GroupSize - 1));
        if (head > length) head = length;
        float* scratch = stackalloc float[GaussianNoise.GroupSize];
        var vdecay = Vector256.Create(decay);

        fixed (float* w = weights, p0 = state0, p1 = state1)
        {
            if (head > 0) ApplyPartial(update, key, firstIndex, decay, 0, head, w, p0, p1, scratch);
            int i = head;
            for (; i + GaussianNoise.GroupSize <= length; i += GaussianNoise.GroupSize)
            {
                var (z0, z1) = SweepKernels.Group(key, (firstIndex + i) >> 4);
                ApplyLanes(update, z0, vdecay, w, p0, p1, i);
                ApplyLanes(update, z1, vdecay, w, p0, p1, i + 8);
            }
            if (i < length) ApplyPartial(update, key, firstIndex, decay, i, length - i, w, p0, p1, scratch);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ApplyLanes<TUpdate>(in TUpdate update, Vector256<float> z, Vector256<float> decay, float* w, float* p0, float* p1, int i)
        where TUpdate : struct, IElementUpdate
    {
        var wv = Vector256.Load(w + i);
        var s0 = TUpdate.Slots > 0 ? Vector256.Load(p0 + i) : Vector256<float>.Zero;
        var s1 = TUpdate.Slots > 1 ? Vector256.Load(p1 + i) : Vector256<float>.Zero;
        update.Vector(z, decay, ref wv, ref s0, ref s1);
        Vector256.Store(wv, w + i);
        if (TUpdate.WritesState)
        {
            if (TUpdate.Slots > 0) Vector256.Store(s0, p0 + i);
            if (TUpdate.Slots > 1) Vector256.Store(s1, p1 + i);
        }
    }

    /// <summary>Elements [at, at + count) lie inside one 16-element group: compute the group's z whole, apply the scalar form.</summary>
    private static unsafe void ApplyPartial<TUpdate>(in TUpdate update, ulong key, long firstIndex, float decay, int at, int count, float* w, float* p0, float* p1, float* scratch)
        where TUpdate : struct, IElementUpdate
    {
        long index = firstIndex + at;
        var (z0, z1) = SweepKernels.Group(key, index >> 4);
        Vector256.Store(z0, scratch);
        Vector256.Store(z1, scratch + 8);
        int offset = (int)(index & 15);
        float unused0 = 0f, unused1 = 0f;
        for (int j = 0; j < count; j++)
        {
            int e = at + j;
            ref float s0 = ref TUpdate.Slots > 0 ? ref p0[e] : ref unused0;
            ref float s1 = ref TUpdate.Slots > 1 ? ref p1[e] : ref unused1;
            update.Scalar(scratch[offset + j], decay, ref w[e], ref s0, ref s1);
        }
    }

    private static void CheckLengths<TUpdate>(Span<float> weights, Span<float> state0, Span<float> state1)
        where TUpdate : struct, IElementUpdate
    {
        if ((TUpdate.Slots > 0 && state0.Length != weights.Length) || (TUpdate.Slots > 1 && state1.Length != weights.Length))
        {
            throw new ArgumentException("State spans must be as long as the weight span.");
        }
    }
}
