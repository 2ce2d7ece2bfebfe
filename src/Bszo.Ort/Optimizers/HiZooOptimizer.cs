using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// Options of <see cref="HiZooOptimizer"/>. Defaults follow HiZOO's OPT-13B example (η = 1e-6,
/// ε = 1e-3, smoothing "constant1e-8").
/// </summary>
public sealed record HiZooOptions : OptimizerOptions
{
    /// <summary>
    /// Smoothing α of the Hessian estimate, H ← (1−α)H + α·Ĥ. Null (the default) means 1e-2·ε²,
    /// i.e. HiZOO's 1e-8 at ε = 1e-3, scaled with ε² at other ε.
    /// </summary>
    /// <remarks>
    /// Why ε²: the per-step estimate divides a second difference of losses by 2ε². Its noise (batch
    /// noise and fp32 rounding of the three losses) does not shrink with ε, so its share of Ĥ grows
    /// as 1/ε²; scaling α with ε² keeps the noise fed into H per step the same. The BSZO authors'
    /// HiZOO runs make the same adjustment (1e-10 at ε = 1e-4).
    /// </remarks>
    public double? HessianSmoothing { get; init; }

    /// <summary>
    /// Lower bound H_min of every Hessian entry (default 1e-4). Perturbations and steps are scaled by
    /// 1/√H; without a floor, an entry that decays towards 0 magnifies both without limit (HiZOO runs
    /// overflowed this way in fp16). 1e-4 caps the magnification at 100×.
    /// </summary>
    public double HessianFloor { get; init; } = 1e-4;

    /// <summary>The smoothing in effect: <see cref="HessianSmoothing"/> or 1e-2·ε².</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double EffectiveSmoothing => HessianSmoothing ?? 1e-2 * Epsilon * Epsilon;

    public override void Validate()
    {
        base.Validate();
        Require(EffectiveSmoothing is >= 0 and <= 1, "Hessian smoothing", "a value in [0, 1]", EffectiveSmoothing);
        Require(HessianFloor > 0 && double.IsFinite(HessianFloor), "Hessian floor", "a finite value > 0", HessianFloor);
    }
}

/// <summary>
/// HiZOO: Hessian-informed zeroth-order optimization. Keeps a diagonal Hessian estimate H (initially
/// 1), perturbs along ε·z/√H, learns H from the second difference of three losses, and steps along
/// g·z/√H, i.e. a diagonally preconditioned MeZO.
/// </summary>
/// <remarks>
/// <para>Source: Zhao et al., "Second-Order Fine-Tuning without Pain for LLMs: A Hessian Informed
/// Zeroth-Order Optimizer" (ICLR 2025), code Yanjun-Zhao/HiZOO (<c>zo_Hessian_step_update</c>).</para>
/// <para>Per step: 3 forward passes (L₀ at θ, L₊ and L₋ at θ ± ε·z/√H; the official code's fourth,
/// logging-only pass is not run) and 3 sweeps. The last sweep, per element: restore with the old H;
/// H ← max((1−α)H + α·|L₊ + L₋ − 2L₀|/(2ε²)·H·z², H_min); θ ← θ − η·g·z/√H with the new H
/// (g = (L₊ − L₋)/2ε). On a separable quadratic with Hessian D over n weights, H settles near
/// (1 + n/2)·D: it learns the relative curvature.</para>
/// <para><b>Memory:</b> one fp32 Hessian entry per trainable element (+n floats), in an
/// <see cref="ElementStateBuffer"/> the optimizer owns: dispose the optimizer to free it. Checkpoints
/// save it (<see cref="ZerothOrderOptimizer.SaveTensors"/>).</para>
/// </remarks>
public sealed class HiZooOptimizer : ZerothOrderOptimizer<HiZooOptions>
{
    private readonly ElementStateBuffer _hessian;

    private HiZooOptimizer(PerturbationSweep sweep, HiZooOptions options)
        : base(sweep, options)
    {
        _hessian = CreateStateBuffer("hessian", 1f);
    }

    public override string Name => "hizoo";

    public override int ForwardPassesPerStep => 3;

    /// <summary>The diagonal Hessian estimate (owned by the optimizer).</summary>
    public ElementStateBuffer Hessian => _hessian;

    /// <summary>Creates the optimizer over <paramref name="sweep"/>'s weights, with H = 1.</summary>
    public static HiZooOptimizer Create(PerturbationSweep sweep, HiZooOptions? options = null) => new(sweep, options ?? new HiZooOptions());

    protected override void StepCore(StepContext context)
    {
        double eps = Options.Epsilon;
        double clean = CleanLoss(context);
        var (seed, probe) = ProbeNewDirection(context);
        double g = probe.Gradient;
        double curvature = Math.Abs(probe.Plus + probe.Minus - 2 * clean) / (2 * eps * eps);
        double alpha = Options.EffectiveSmoothing;
        context.Set("curvature", curvature);

        var update = new HessianUpdate((float)eps, (float)(1 - alpha), (float)(alpha * curvature), (float)Options.HessianFloor, (float)(context.LearningRate * g));
        Sweep.Run(new ElementSweepKernel<HessianUpdate>(seed, update, _hessian), streams: 1, decay: 1 - context.LearningRate * Options.WeightDecay);
    }

    /// <summary>HiZOO probes along z/√H: one direction at a time, scaled by the current Hessian estimate.</summary>
    protected override void Perturb(ReadOnlySpan<SweepTerm> terms)
    {
        if (terms.Length != 1) throw new InvalidOperationException("HiZOO perturbs along one direction at a time.");
        Sweep.Run(new ElementSweepKernel<HessianPerturbation>(terms[0].Seed, new HessianPerturbation((float)terms[0].Coefficient), _hessian), streams: 1);
    }
}
