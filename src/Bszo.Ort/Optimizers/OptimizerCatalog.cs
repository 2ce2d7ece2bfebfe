using Bszo.Ort.Graph;
using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// Every zeroth-order method Bszo offers, by command-line name, with its defaults and sources: what
/// <c>--optimizer</c> accepts and what <c>--help</c> lists.
/// </summary>
/// <remarks>
/// A method is one line of <see cref="Entries"/>: an <see cref="OptimizerDescriptor.Create{TOptions}"/>
/// call with its name, a one-line description, its source, its default options and its factory.
/// </remarks>
public static class OptimizerCatalog
{
    /// <summary>The optimizer a run uses when it names none: BSZO.</summary>
    public const string Default = "bszo";

    private const string ZoBench = "Zhang et al., ZO-Bench, ICML 2024 (ZO-Bench/ZO-LLM)";

    private const string BszoPaper = "Feng & Huang, Adaptive Bayesian Subspace Zeroth-Order Optimization, 2026 (AeonianQuill/BSZO)";

    private static readonly OptimizerDescriptor[] Entries =
    [
        OptimizerDescriptor.CreateForAnyWeights("bszo", "Kalman filter over a random k-dimensional subspace; cached extra sample (k+1 forward passes). The default.",
            BszoPaper + ", Algorithm 1", () => new BszoOptions(), BszoOptimizer.Create, (_, o) => BszoOptimizer.StateBytesFor(o)),
        OptimizerDescriptor.CreateForAnyWeights("bszo-b", "BSZO with the extra samples measured along Σ's principal eigenvector (m+1 forward passes).",
            BszoPaper + ", Algorithm 2", () => new BszoOptions { Variant = BszoVariant.Basic }, BszoOptimizer.Create, (_, o) => BszoOptimizer.StateBytesFor(o)),
        OptimizerDescriptor.CreateForAnyWeights("mezo", "ZO-SGD with two-sided SPSA (θ±εz), in the memory of inference.",
            "Malladi et al., MeZO, NeurIPS 2023 (princeton-nlp/MeZO)", () => new MezoOptions(), MezoOptimizer.Create),
        OptimizerDescriptor.CreateForAnyWeights("mezo-1s", "MeZO with one-sided differences [L(θ+εz) − L(θ)]/ε.",
            ZoBench + "; MeZO", () => new MezoOptions { OneSided = true }, MezoOptimizer.Create),
        OptimizerDescriptor.Create("zo-sgd-sign", "Two-sided SPSA, update along sign(g)·z.",
            ZoBench, () => new ZoSignSgdOptions(), ZoSignSgdOptimizer.Create),
        OptimizerDescriptor.CreateForAnyWeights("zo-sgd-cons", "Conservative ZO-SGD: keeps the best of θ, θ−ηĝ, θ+ηĝ (5 forward passes).",
            ZoBench, () => new ZoConservativeOptions(), ZoConservativeOptimizer.Create),
        OptimizerDescriptor.Create("zo-sgd-mmt", "Two-sided SPSA fed to SGD with momentum (+n floats of state).",
            ZoBench, () => new ZoMomentumOptions(), ZoMomentumOptimizer.Create, (m, _) => ElementStateBuffer.BytesFor(m)),
        OptimizerDescriptor.Create("zo-adam", "Two-sided SPSA fed to Adam with bias correction (+2n floats of state).",
            ZoBench + "; MeZO App. B", () => new ZoAdamOptions(), ZoAdamOptimizer.Create, (m, _) => 2 * ElementStateBuffer.BytesFor(m)),
        OptimizerDescriptor.Create("hizoo", "Diagonal-Hessian-preconditioned SPSA, 3 forward passes (+n floats of state).",
            "Zhao et al., HiZOO, ICLR 2025 (Yanjun-Zhao/HiZOO)", () => new HiZooOptions(), HiZooOptimizer.Create, (m, _) => ElementStateBuffer.BytesFor(m)),
        OptimizerDescriptor.Create("subzero", "SPSA along random low-rank directions U·Z·Vᵀ per matrix, subspaces refreshed every T steps.",
            "Yu et al., SubZero, ICCV 2025 (zimingyy/SubZero)", () => new SubZeroOptions(), SubZeroOptimizer.Create,
            (m, o) => SubspaceBasis.StateBytesFor(m, o.Rank, o.ReshapeNearSquare)),
    ];

    /// <summary>All methods, in the order <c>--help</c> lists them.</summary>
    public static IReadOnlyList<OptimizerDescriptor> All => Entries;

    /// <summary>The command-line names.</summary>
    public static IEnumerable<string> Names => Entries.Select(e => e.Name);

    /// <summary>The method named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="BszoException">No method has that name; the message lists those that exist.</exception>
    public static OptimizerDescriptor Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Entries.FirstOrDefault(e => string.Equals(e.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? Throw.Bszo<OptimizerDescriptor>($"Unknown optimizer '{name}'.", $"one of {string.Join(", ", Names)}", name,
                "`bszo optimizers` lists them with their defaults and sources.");
    }

    /// <summary>Creates the method named <paramref name="name"/> over the weights <paramref name="mutator"/> sweeps (see <see cref="OptimizerDescriptor.CreateOptimizer"/>).</summary>
    public static ZerothOrderOptimizer Create(string name, IWeightMutator mutator, OptimizerOptions? options = null) => Get(name).CreateOptimizer(mutator, options);

    /// <summary>A plain-text table of the methods: name, description, defaults, source.</summary>
    public static string Describe()
    {
        int width = Entries.Max(e => e.Name.Length);
        var lines = Entries.Select(e =>
            $"{e.Name.PadRight(width)}  {e.Description}{Environment.NewLine}{new string(' ', width + 2)}defaults: {e.DefaultsSummary}{Environment.NewLine}{new string(' ', width + 2)}source:   {e.Source}");
        return string.Join(Environment.NewLine, lines);
    }
}
