using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// Options of <see cref="ZoAdamOptimizer"/>. Defaults: β₁ = 0.9, β₂ = 0.999, δ = 1e-8 (PyTorch Adam's,
/// which ZO-Bench uses unchanged); η = 1e-5 (in both ZO-Bench's {1e-5 … 1e-8} and BSZO's MeZO-Adam
/// {1e-4 … 1e-6} grids); ε = 1e-3.
/// </summary>
public sealed record ZoAdamOptions : OptimizerOptions
{
    public ZoAdamOptions() => LearningRate = 1e-5;

    /// <summary>Decay rate β₁ of the first moment.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Decay rate β₂ of the second moment.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>δ added to the denominator (Adam's "epsilon"; not the perturbation scale ε).</summary>
    public double Delta { get; init; } = 1e-8;

    public override void Validate()
    {
        base.Validate();
        Require(Beta1 is >= 0 and < 1, "beta1", "a value in [0, 1)", Beta1);
        Require(Beta2 is >= 0 and < 1, "beta2", "a value in [0, 1)", Beta2);
        Require(Delta > 0 && double.IsFinite(Delta), "delta", "a finite value > 0", Delta);
    }
}

/// <summary>
/// ZO-Adam (MeZO-Adam): MeZO's two-sided SPSA estimate ĝ = g·z fed to Adam with bias correction.
/// </summary>
/// <remarks>
/// <para>Sources: Malladi et al., MeZO (NeurIPS 2023, App. B "MeZO-Adam"); Zhang et al., ZO-Bench
/// (ICML 2024), code ZO-Bench/ZO-LLM (<c>--trainer zo_adam</c>: PyTorch Adam on ĝ). Ancestor:
/// ZO-AdaMM (Chen et al., NeurIPS 2019).</para>
/// <para>Per step: 2 forward passes, 3 sweeps; the last restores the weights, updates both moments
/// and steps θ in one pass, with t = step index + 1 in the bias corrections. Weight decay, if set, is
/// decoupled (AdamW-style).</para>
/// <para><b>Memory:</b> two fp32 moments per trainable element (+2n floats, twice the weights), in
/// <see cref="ElementStateBuffer"/>s the optimizer owns: dispose the optimizer to free them.
/// Checkpoints save them (<see cref="ZerothOrderOptimizer.SaveTensors"/>).</para>
/// </remarks>
public sealed class ZoAdamOptimizer : ZerothOrderOptimizer<ZoAdamOptions>
{
    private readonly ElementStateBuffer _first;
    private readonly ElementStateBuffer _second;

    private ZoAdamOptimizer(PerturbationSweep sweep, ZoAdamOptions options)
        : base(sweep, options)
    {
        try
        {
            _first = CreateStateBuffer("m");
            _second = CreateStateBuffer("v");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override string Name => "zo-adam";

    public override int ForwardPassesPerStep => 2;

    /// <summary>The first-moment buffer m (owned by the optimizer).</summary>
    public ElementStateBuffer FirstMoment => _first;

    /// <summary>The second-moment buffer v (owned by the optimizer).</summary>
    public ElementStateBuffer SecondMoment => _second;

    /// <summary>Creates the optimizer over <paramref name="sweep"/>'s weights, with zero moments.</summary>
    public static ZoAdamOptimizer Create(PerturbationSweep sweep, ZoAdamOptions? options = null) => new(sweep, options ?? new ZoAdamOptions());

    protected override void StepCore(StepContext context)
    {
        var (seed, probe) = ProbeNewDirection(context);
        double g = probe.Gradient;
        context.Set("loss", probe.MeanLoss);

        long t = context.Step + 1;
        double firstCorrection = 1 - Math.Pow(Options.Beta1, t);
        double secondCorrection = Math.Sqrt(1 - Math.Pow(Options.Beta2, t));
        var update = new AdamUpdate((float)Options.Epsilon, (float)g, (float)Options.Beta1, (float)(1 - Options.Beta1), (float)Options.Beta2, (float)(1 - Options.Beta2),
            (float)(context.LearningRate / firstCorrection), (float)secondCorrection, (float)Options.Delta);
        Sweep.Run(new ElementSweepKernel<AdamUpdate>(seed, update, _first, _second), streams: 1, decay: 1 - context.LearningRate * Options.WeightDecay);
    }
}
