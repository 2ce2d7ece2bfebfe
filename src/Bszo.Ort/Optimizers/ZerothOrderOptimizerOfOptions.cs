using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>A zeroth-order optimizer whose method-specific options are a <typeparamref name="TOptions"/> record.</summary>
public abstract class ZerothOrderOptimizer<TOptions> : ZerothOrderOptimizer
    where TOptions : OptimizerOptions
{
    /// <summary>Creates the optimizer over weights that <paramref name="mutator"/> sweeps (host or device).</summary>
    protected ZerothOrderOptimizer(IWeightMutator mutator, TOptions options)
        : base(mutator, options) => Options = options;

    /// <summary>The options in effect.</summary>
    public TOptions Options { get; }
}
