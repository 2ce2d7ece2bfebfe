namespace Bszo.Ort.Perturbation;

/// <summary>One block's work in a custom sweep (see <see cref="PerturbationSweep.Run{TKernel}"/>).</summary>
public interface IBlockKernel
{
    /// <summary>
    /// Updates <paramref name="weights"/>: elements [<paramref name="start"/>, start + weights.Length)
    /// of tensor <paramref name="tensor"/>. Called concurrently for disjoint blocks.
    /// </summary>
    /// <param name="tensor">Tensor id (also its noise stream id).</param>
    /// <param name="start">Index of the first element within the tensor.</param>
    /// <param name="weights">The block's fp32 master values.</param>
    /// <param name="decay">Weight-decay factor for this tensor (1 when it is not decayable).</param>
    /// <param name="noise">The sweep's noise: the kind of every direction and the kernel path (<see cref="SweepOptions"/>).</param>
    void Apply(int tensor, long start, Span<float> weights, float decay, NoiseSource noise);
}
