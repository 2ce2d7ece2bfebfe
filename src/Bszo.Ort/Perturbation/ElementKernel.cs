using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Bszo.Ort.Perturbation;

/// <summary>
/// Runs an <see cref="IElementUpdate"/> over a span of weights and their per-element state, with
/// z = Z(key, firstIndex + i) regenerated on the fly: the inner loop of the momentum, Adam and HiZOO
/// sweeps.
/// </summary>
/// <remarks>
/// <see cref="Reference"/> is the definition: one element at a time with the noise's scalar
/// definition and the update's scalar form. <see cref="Run"/> makes z for a chunk of
/// <see cref="ChunkElements"/> elements at a time into a stack buffer with the sweep's vector kernel
/// (it stays in the L1 cache), then applies the update's vector form eight elements at a time and
/// its scalar form to the rest. The two agree bit for bit (tested). Neither allocates.
/// </remarks>
public static class ElementKernel
{
    /// <summary>Elements whose z one chunk holds (1 KiB of stack).</summary>
    public const int ChunkElements = 256;

    /// <summary>Scalar reference over <paramref name="weights"/> and the state spans (empty when unused).</summary>
    public static void Reference<TUpdate>(in TUpdate update, NoiseKind noise, ulong key, long firstIndex, float decay, Span<float> weights, Span<float> state0, Span<float> state1)
        where TUpdate : struct, IElementUpdate
    {
        CheckLengths<TUpdate>(weights, state0, state1);
        float unused0 = 0f, unused1 = 0f;
        for (int i = 0; i < weights.Length; i++)
        {
            float z = SweepKernels.Value(noise, key, firstIndex + i);
            ref float s0 = ref TUpdate.Slots > 0 ? ref state0[i] : ref unused0;
            ref float s1 = ref TUpdate.Slots > 1 ? ref state1[i] : ref unused1;
            update.Scalar(z, decay, ref weights[i], ref s0, ref s1);
        }
    }

    /// <summary>The path of <paramref name="noise"/>; identical results to <see cref="Reference{TUpdate}"/>.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimised from the first sweep, like the noise kernels
    public static unsafe void Run<TUpdate>(in TUpdate update, NoiseSource noise, ulong key, long firstIndex, float decay, Span<float> weights, Span<float> state0, Span<float> state1)
        where TUpdate : struct, IElementUpdate
    {
        if (noise.IsReference)
        {
            Reference(update, noise.Kind, key, firstIndex, decay, weights, state0, state1);
            return;
        }
        CheckLengths<TUpdate>(weights, state0, state1);

        float* z = stackalloc float[ChunkElements];
        var vdecay = Vector256.Create(decay);
        float unused0 = 0f, unused1 = 0f;
        fixed (float* w = weights, p0 = state0, p1 = state1)
        {
            for (int at = 0; at < weights.Length; at += ChunkElements)
            {
                int count = Math.Min(ChunkElements, weights.Length - at);
                noise.Fill(key, firstIndex + at, new Span<float>(z, count));
                int i = 0;
                for (; i + Vector256<float>.Count <= count; i += Vector256<float>.Count) ApplyLanes(update, Vector256.Load(z + i), vdecay, w, p0, p1, at + i);
                for (; i < count; i++)
                {
                    int e = at + i;
                    ref float s0 = ref TUpdate.Slots > 0 ? ref p0[e] : ref unused0;
                    ref float s1 = ref TUpdate.Slots > 1 ? ref p1[e] : ref unused1;
                    update.Scalar(z[i], decay, ref w[e], ref s0, ref s1);
                }
            }
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

    private static void CheckLengths<TUpdate>(Span<float> weights, Span<float> state0, Span<float> state1)
        where TUpdate : struct, IElementUpdate
    {
        if ((TUpdate.Slots > 0 && state0.Length != weights.Length) || (TUpdate.Slots > 1 && state1.Length != weights.Length))
        {
            throw new ArgumentException("State spans must be as long as the weight span.");
        }
    }
}
