using Bszo.Ort.Optimizers;
using Bszo.Ort.Runtime;
using Bszo.Tests.Ort;

namespace Bszo.Tests.Optimizers;

/// <summary>Settings and loops shared by the optimizer-family tests.</summary>
internal static class FamilyRuns
{
    /// <summary>Every method in the catalog (BSZO's posterior algebra also has its own tests).</summary>
    public static readonly string[] Methods = ["bszo", "bszo-b", "mezo", "mezo-1s", "zo-sgd-sign", "zo-sgd-cons", "zo-sgd-mmt", "zo-adam", "hizoo", "subzero"];

    /// <summary>
    /// Catalog defaults with learning rates that make the 8→16→3 MLP learn in a few hundred steps
    /// (the papers' rates are for billion-parameter models), and a short SubZero refresh interval so
    /// that refreshes happen inside short tests.
    /// </summary>
    public static OptimizerOptions Options(string method, ulong seed, double weightDecay = 0)
    {
        var defaults = OptimizerCatalog.Get(method).DefaultOptions();
        double lr = method switch
        {
            "zo-sgd-sign" => 5e-3,
            "zo-sgd-mmt" => 5e-4,
            "zo-adam" => 1e-2,
            "bszo" or "bszo-b" => 2e-2,
            _ => 4e-3,
        };
        var options = defaults with { LearningRate = lr, Epsilon = 1e-3, Seed = seed, WeightDecay = method == "zo-sgd-cons" ? 0 : weightDecay };
        return options switch
        {
            SubZeroOptions s => s with { RefreshInterval = 7 },
            // The automatic prior √(n/10⁶) is sized for LLMs; this model has 195 parameters.
            BszoOptions b => b with { PriorStd = 1 },
            _ => options,
        };
    }

    /// <summary>Runs steps [first, first + count) with batch b drawn from seed b; optionally logs them.</summary>
    public static void Train(ZerothOrderOptimizer optimizer, TrainingGraphSession session, int first, int count, TrajectoryLog? log = null, int examples = 16)
    {
        for (int step = first; step < first + count; step++)
        {
            using var batch = MlpFixture.Blobs(examples, seed: step);
            session.Bind(batch);
            var record = optimizer.Step(new DelegateLossEvaluator(session.Loss));
            log?.Write(record);
        }
    }
}
