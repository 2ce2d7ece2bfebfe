using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// Options of <see cref="ZoConservativeOptimizer"/>. Defaults: η = 1e-6, ε = 1e-3 (the middle of
/// ZO-Bench's sweeps). Weight decay must stay 0: the method compares losses of candidate points and
/// ZO-Bench defines no decay for it.
/// </summary>
public sealed record ZoConservativeOptions : OptimizerOptions
{
    public override void Validate()
    {
        base.Validate();
        if (WeightDecay != 0)
        {
            Throw.Bszo("Invalid optimizer option: weight decay.", "0 for zo-sgd-cons", WeightDecay.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "the conservative step keeps whichever candidate has the lowest loss; use mezo for weight decay.");
        }
    }
}

/// <summary>
/// ZO-SGD-Cons (conservative ZO-SGD): after the SPSA estimate ĝ = g·z, evaluates θ − ηĝ and θ + ηĝ
/// on the same batch and keeps whichever of {θ, θ − ηĝ, θ + ηĝ} has the lowest loss.
/// </summary>
/// <remarks>
/// <para>Source: Zhang et al., ZO-Bench (ICML 2024), code ZO-Bench/ZO-LLM <c>zo_conserv_step</c>; the
/// choice rule, ties included, is that code's: if L(θ−ηĝ) &gt; L(θ), go back to θ unless
/// L(θ+ηĝ) ≤ L(θ); otherwise keep θ−ηĝ if L(θ−ηĝ) &lt; L(θ+ηĝ), else θ+ηĝ.</para>
/// <para>Per step: 5 forward passes (L(θ), L(θ±εz), L(θ∓ηĝ)); 4 sweeps (+εz, −2εz, restore fused
/// with the move to θ−ηĝ, the move to θ+ηĝ) plus a fifth when θ+ηĝ is not kept. Memory: none beyond
/// inference.</para>
/// </remarks>
public sealed class ZoConservativeOptimizer : ZerothOrderOptimizer<ZoConservativeOptions>
{
    private ZoConservativeOptimizer(IWeightMutator mutator, ZoConservativeOptions options) : base(mutator, options) { }

    public override string Name => "zo-sgd-cons";

    /// <summary>L(θ), L(θ + εz), L(θ − εz), and the two candidates L(θ − ηĝ), L(θ + ηĝ).</summary>
    public override int ForwardPassesPerStep => 5;

    /// <summary>Creates the optimizer over the weights <paramref name="mutator"/> sweeps (host or device).</summary>
    public static ZoConservativeOptimizer Create(IWeightMutator mutator, ZoConservativeOptions? options = null) => new(mutator, options ?? new ZoConservativeOptions());

    protected override void StepCore(StepContext context)
    {
        double clean = CleanLoss(context);
        var (seed, probe) = ProbeNewDirection(context);
        double step = context.LearningRate * probe.Gradient;
        Mutator.Apply(seed, Options.Epsilon - step); // θ − εz  →  θ − ηĝ
        double descended = context.Loss();
        Mutator.Apply(seed, 2 * step);               // θ − ηĝ  →  θ + ηĝ
        double ascended = context.Loss();

        int kept; // −1: θ − ηĝ, 0: θ, +1: θ + ηĝ
        if (descended > clean) kept = clean < ascended ? 0 : 1;
        else kept = descended < ascended ? -1 : 1;
        if (kept == 0) Mutator.Apply(seed, -step);
        else if (kept == -1) Mutator.Apply(seed, -2 * step);
        context.Set("kept", kept);
    }
}
