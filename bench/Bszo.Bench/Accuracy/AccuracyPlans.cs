using Bszo.Ort.Graph;

namespace Bszo.Bench.Accuracy;

/// <summary>
/// The accuracy comparisons' settings: the one file to edit when a recipe or a budget changes. Every
/// method of an arm gets the same forward-pass budget (steps differ: MeZO, SubZero 2 passes per step,
/// HiZOO 3, BSZO k+1, BSZO-B m+1) and the same ε, and its learning rate is chosen on dev from the
/// same grid.
/// </summary>
public static class AccuracyPlans
{
    /// <summary>
    /// One ε for every method, as in the BSZO paper's comparisons (MeZO's own recipe uses 1e-3). In
    /// fp32 both are far above the loss's resolution; in fp16 storage (the reduced-precision arm)
    /// most of a 1e-4 perturbation of the head is rounded away, the regime the paper credits BSZO in.
    /// </summary>
    public const double Epsilon = 1e-4;

    /// <summary>
    /// One learning-rate grid for every method of the head arms, half decades wide enough to hold
    /// each method's best rate and its divergence: the fraction of it that diverges is comparable
    /// between methods because the grid is the same. It reaches 3 because BSZO's best dev score sat at
    /// 1, the top of a grid that ended there, in an earlier run.
    /// </summary>
    public static IReadOnlyList<double> HeadRates { get; } = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3];

    /// <summary>The learning rates tried where every weight but the embedding tables trains (1e-4 was stable for BSZO over all weights, 1e-3 diverged).</summary>
    public static IReadOnlyList<double> EncoderRates { get; } = [1e-5, 1e-4, 1e-3];

    /// <summary>The learning rates tried for LoRA adapters (B starts at zero, so the first steps move only B).</summary>
    public static IReadOnlyList<double> LoraRates { get; } = [1e-4, 1e-3, 1e-2];

    /// <summary>Forward passes per run of the top-layer arm (each runs one transformer layer over cached token states).</summary>
    public const long TopLayerBudget = 3_000;

    /// <summary>Forward passes per run of the LoRA arm (each runs the whole encoder).</summary>
    public const long LoraBudget = 1_500;

    /// <summary>Forward passes per head-only run: BSZO's 20,000 steps (MeZO's step count) at 3 passes each.</summary>
    public const long HeadBudget = 60_000;

    /// <summary>Forward passes per run over the encoder's weights: each pass runs the whole encoder.</summary>
    public const long EncoderBudget = 1_500;

    private static AccuracyMethod Mezo(IReadOnlyList<double> rates) => new("mezo", rates, 2);

    private static AccuracyMethod SubZero(IReadOnlyList<double> rates) => new("subzero", rates, 2);

    private static AccuracyMethod HiZoo(IReadOnlyList<double> rates) => new("hizoo", rates, 3);

    private static AccuracyMethod Bszo(IReadOnlyList<double> rates, int k = 2) => k == 2
        ? new("bszo", rates, 3)
        : new("bszo", rates, k + 1, new Dictionary<string, string> { ["subspace-dimension"] = $"{k}", ["samples"] = $"{k + 1}" }, $"bszo k={k}");

    private static AccuracyMethod BszoB(IReadOnlyList<double> rates) => new("bszo-b", rates, 4);

    /// <summary>The default model's head (its card's trainable tensors) over cached encoder rows.</summary>
    private static AccuracyArm Head(IReadOnlyList<AccuracyMethod> methods, long budget) => new()
    {
        Name = "head",
        Description = "the classification head (the card's tensors, 1026 weights) over cached encoder rows",
        Budget = budget,
        Methods = methods,
    };

    /// <summary>
    /// `bszo bench accuracy`: the default recipe, every method the CLI offers for it, 3 seeds, each
    /// method's rate chosen on dev from <see cref="HeadRates"/>.
    /// </summary>
    public static AccuracyPlan Default { get; } = new()
    {
        Seeds = [0, 1, 2],
        ExtraSeeds = [3, 4],
        Epsilon = Epsilon,
        Evaluations = 6,
        BatchSize = 16,
        Arms = [Head([Mezo(HeadRates), SubZero(HeadRates), Bszo(HeadRates), BszoB(HeadRates)], HeadBudget)],
    };

    /// <summary>
    /// `bszo bench accuracy-real`: what zeroth-order training buys on a real pretrained model beyond
    /// its head, in the priority order of the comparison: (a) the arms beyond the head against the head
    /// and the first-order linear probe, BSZO and MeZO (the whole encoder, the costliest, after (b) and (c));
    /// (b) every method on the head; (c) a reduced-precision head; (d) a second task; each later arm is skipped if the time limit is reached first.
    /// </summary>
    public static AccuracyPlan Real { get; } = new()
    {
        Seeds = [0, 1, 2],
        ExtraSeeds = [3, 4],
        Epsilon = Epsilon,
        Evaluations = 5,
        BatchSize = 16,
        TimeLimit = TimeSpan.FromHours(2),
        Arms =
        [
            Head([Mezo(HeadRates), Bszo(HeadRates)], HeadBudget),
            new AccuracyArm
            {
                Name = "linear-probe",
                Description = "first-order logistic regression on the frozen features the head reads (λ chosen on dev): the ceiling of head-only training",
                ProbeOf = "head",
            },
            new AccuracyArm
            {
                Name = "top-1",
                Description = "the last transformer layer, the pooler and the head (--train-top-layers 1): the frozen first layer's token states are computed once per example and cached, so each forward pass runs one layer; starting from the head arm's weights",
                Arguments = ["--train-top-layers", "1"],
                ContinueFrom = "head",
                Budget = TopLayerBudget,
                Methods = [Mezo(EncoderRates), Bszo(EncoderRates)],
            },
            new AccuracyArm
            {
                Name = "lora",
                Description = "rank-8 LoRA adapters on the attention's query and value projections of both layers, and the head (--lora 8 --trainable 'head.*'); each forward pass runs the encoder; starting from the head arm's weights",
                Arguments = ["--lora", "8", "--trainable", "head.*"],
                ContinueFrom = "head",
                Budget = LoraBudget,
                Methods = [Mezo(LoraRates), Bszo(LoraRates)],
            },
            new AccuracyArm
            {
                Name = "head-all-methods",
                Description = "the head again with SubZero, HiZOO and BSZO-B, against the head arm's MeZO and BSZO",
                Budget = HeadBudget,
                Methods = [SubZero(HeadRates), HiZoo(HeadRates), BszoB(HeadRates)],
            },
            new AccuracyArm
            {
                Name = "head-fp16",
                Description = "the head stored in fp16 (trained on fp32 masters; perturbations below half an fp16 step are rounded away)",
                Storage = new SixteenBitStorage(OnnxDataType.Float16, []),
                Budget = HeadBudget,
                Methods = [Mezo(HeadRates), Bszo(HeadRates), Bszo(HeadRates, k: 8)],
            },
            new AccuracyArm
            {
                Name = "encoder",
                Description = "every weight but the token-embedding table (4.93 M of 6.98 M): both transformer layers, the pooler and the head; each forward pass runs the encoder; starting from the head arm's weights",
                Arguments = ["--trainable", "layer*", "--trainable", "pooler.*", "--trainable", "head.*"],
                ContinueFrom = "head",
                Budget = EncoderBudget,
                Methods = [Mezo(EncoderRates), Bszo(EncoderRates)],
            },
            new AccuracyArm
            {
                Name = "yelp-head",
                Description = "a second task: the head on UCI Yelp review sentences (binary, 1000 in all: 500 train / 200 dev / 300 test)",
                Arguments = ["--dataset", "uci-yelp"],
                Budget = HeadBudget,
                Methods = [Mezo(HeadRates), Bszo(HeadRates)],
                NumTrain = 500,
                NumDev = 200,
                NumTest = 300,
            },
        ],
    };

    /// <summary>A run of minutes that checks the whole path of <paramref name="plan"/>: 2 seeds, a few forward passes, small splits, one rate per method.</summary>
    public static AccuracyPlan Tiny(AccuracyPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan with
        {
            Seeds = [0, 1],
            ExtraSeeds = [],
            Evaluations = 2,
            TimeLimit = null,
            NumTrain = 64,
            NumDev = 32,
            NumTest = 64,
            Arms = [.. plan.Arms.Select(a => a with
            {
                Budget = 48,
                Methods = [.. a.Methods.Select(m => m with { LearningRates = [m.LearningRates[0]] })],
                NumTrain = null,
                NumDev = null,
                NumTest = null,
            })],
        };
    }
}
