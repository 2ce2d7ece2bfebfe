namespace Bszo.Ort.Perturbation;

/// <summary>
/// Applies fused sweeps <c>θ ← decay·θ + Σⱼ cⱼ·z(sⱼ)</c> to a model's trainable weights, wherever
/// those weights live: <see cref="PerturbationSweep"/> for host memory, and
/// <see cref="Device.DeviceSweep"/> for weights held by an execution device.
/// </summary>
/// <remarks>
/// Optimizers written against this interface run unchanged on either. Every implementation
/// computes the same z(seed, tensor id, element index) (<see cref="GaussianNoise"/>), applies
/// <c>decay</c> only to tensors marked by <see cref="SetDecayable"/>, and has finished mutating
/// the weights when <see cref="Apply(ReadOnlySpan{SweepTerm}, double)"/> returns.
/// </remarks>
public interface IWeightMutator
{
    /// <summary>Number of trainable scalars the sweeps cover (n).</summary>
    long ElementCount { get; }

    /// <summary>Sweeps performed so far.</summary>
    long Count { get; }

    /// <summary>Wall time spent in sweeps.</summary>
    TimeSpan Elapsed { get; }

    /// <summary>Applies one sweep. <paramref name="decay"/> multiplies decayable tensors before the noise is added.</summary>
    void Apply(ReadOnlySpan<SweepTerm> terms, double decay = 1.0);

    /// <summary>Applies a single-term sweep.</summary>
    void Apply(ulong seed, double coefficient, double decay = 1.0) => Apply([new SweepTerm(seed, coefficient)], decay);

    /// <summary>Marks which tensors weight decay applies to (by default none).</summary>
    void SetDecayable(Func<string, bool> isDecayable);
}
