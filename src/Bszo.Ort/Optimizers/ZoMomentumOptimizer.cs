using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// Options of <see cref="ZoMomentumOptimizer"/>. Defaults: μ = 0.9 (the only value in ZO-Bench's
/// ZO-SGD-MMT sweeps), η = 1e-6 and ε = 1e-3 (the middle of its η and ε sweeps).
/// </summary>
public sealed record ZoMomentumOptions : OptimizerOptions
{
    /// <summary>Momentum coefficient μ.</summary>
    public double Momentum { get; init; } = 0.9;

    public override void Validate()
    {
        base.Validate();
        Require(Momentum is >= 0 and < 1, "momentum", "a value in [0, 1)", Momentum);
    }
}

/// <summary>
/// ZO-SGD-MMT: MeZO's two-sided SPSA estimate ĝ = g·z fed to SGD with heavy-ball momentum,
/// m ← μm + ĝ, θ ← θ − ηm.
/// </summary>
/// <remarks>
/// <para>Source: Zhang et al., ZO-Bench (ICML 2024), code ZO-Bench/ZO-LLM (<c>--trainer zo_sgd
/// --momentum 0.9</c>, i.e. PyTorch SGD with momentum on ĝ).</para>
/// <para>Per step: 2 forward passes, 3 sweeps; the last restores the weights, updates m and steps
/// θ in one pass. Weight decay, if set, is decoupled (applied to θ, not fed into m).</para>
/// <para><b>Memory:</b> one fp32 momentum per trainable element (+n floats, as much as the weights),
/// in an <see cref="ElementStateBuffer"/> the optimizer owns: dispose the optimizer to free it.
/// Checkpoints save it (<see cref="ZerothOrderOptimizer.SaveTensors"/>).</para>
/// </remarks>
public sealed class ZoMomentumOptimizer : ZerothOrderOptimizer<ZoMomentumOptions>
{
    private readonly ElementStateBuffer _momentum;

    private ZoMomentumOptimizer(PerturbationSweep sweep, ZoMomentumOptions options)
        : base(sweep, options)
    {
        _momentum = CreateStateBuffer("momentum");
    }

    public override string Name => "zo-sgd-mmt";

    public override int ForwardPassesPerStep => 2;

    /// <summary>The momentum buffer (for inspection; owned by the optimizer).</summary>
    public ElementStateBuffer Momentum => _momentum;

    /// <summary>Creates the optimizer over <paramref name="sweep"/>'s weights, with zero momentum.</summary>
    public static ZoMomentumOptimizer Create(PerturbationSweep sweep, ZoMomentumOptions? options = null) => new(sweep, options ?? new ZoMomentumOptions());

    protected override void StepCore(StepContext context)
    {
        var (seed, probe) = ProbeNewDirection(context);
        context.Set("loss", probe.MeanLoss);

        var update = new MomentumUpdate((float)Options.Epsilon, (float)probe.Gradient, (float)Options.Momentum, (float)context.LearningRate);
        Sweep.Run(new ElementSweepKernel<MomentumUpdate>(seed, update, _momentum), streams: 1, decay: 1 - context.LearningRate * Options.WeightDecay);
    }
}
