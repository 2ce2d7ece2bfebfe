using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// Adapts an <see cref="IElementUpdate"/> to <see cref="PerturbationSweep.Run{TKernel}"/>: for each
/// block, the stream key of (seed, tensor) and the matching slices of up to two state buffers.
/// </summary>
internal readonly struct ElementSweepKernel<TUpdate>(ulong seed, TUpdate update, ElementStateBuffer? state0 = null, ElementStateBuffer? state1 = null)
    : IBlockKernel
    where TUpdate : struct, IElementUpdate
{
    public void Apply(int tensor, long start, Span<float> weights, float decay, NoiseSource noise)
    {
        ulong key = SquaresRng.Key(seed, tensor);
        var s0 = state0 is null ? [] : state0.Tensor(tensor).Slice((int)start, weights.Length);
        var s1 = state1 is null ? [] : state1.Tensor(tensor).Slice((int)start, weights.Length);
        ElementKernel.Run(update, noise, key, start, decay, weights, s0, s1);
    }
}
