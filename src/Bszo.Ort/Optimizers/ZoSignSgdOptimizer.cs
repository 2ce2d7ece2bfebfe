using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// Options of <see cref="ZoSignSgdOptimizer"/>. Defaults: η = 1e-6 and ε = 1e-3, the middle of
/// ZO-Bench's sweeps (η ∈ {1e-5 … 1e-8}, ε ∈ {1e-2, 1e-3, 1e-4}, weight decay 0).
/// </summary>
public sealed record ZoSignSgdOptions : OptimizerOptions;

/// <summary>
/// ZO-SGD-Sign: MeZO's two-sided SPSA, but the update follows only the sign of the projected
/// gradient, θ ← θ − η·sign(g)·z, so the step size no longer scales with |g|.
/// </summary>
/// <remarks>
/// <para>Source: Zhang et al., "Revisiting Zeroth-Order Optimization for Memory-Efficient LLM
/// Fine-Tuning: A Benchmark" (ICML 2024), code ZO-Bench/ZO-LLM (<c>--trainer zo_sign_opt</c>), which
/// multiplies z by the sign of the scalar g.</para>
/// <para>Per step: 2 forward passes, 3 sweeps (+εz, −2εz, then restore and update fused in one pass).
/// Memory: none beyond inference. Weight decay, if set, is decoupled and applied in the update sweep.</para>
/// </remarks>
public sealed class ZoSignSgdOptimizer : ZerothOrderOptimizer<ZoSignSgdOptions>
{
    private ZoSignSgdOptimizer(PerturbationSweep sweep, ZoSignSgdOptions options) : base(sweep, options) { }

    public override string Name => "zo-sgd-sign";

    /// <summary>L(θ + εz) and L(θ − εz); the step's loss is their mean.</summary>
    public override int ForwardPassesPerStep => 2;

    /// <summary>Creates the optimizer over <paramref name="sweep"/>'s weights.</summary>
    public static ZoSignSgdOptimizer Create(PerturbationSweep sweep, ZoSignSgdOptions? options = null) => new(sweep, options ?? new ZoSignSgdOptions());

    protected override void StepCore(StepContext context)
    {
        var (seed, probe) = ProbeNewDirection(context);
        context.Set("loss", probe.MeanLoss);

        var update = new GaussianStepUpdate((float)Options.Epsilon, (float)(-context.LearningRate * Math.Sign(probe.Gradient)));
        Sweep.Run(new ElementSweepKernel<GaussianStepUpdate>(seed, update), streams: 1, decay: 1 - context.LearningRate * Options.WeightDecay);
    }
}
