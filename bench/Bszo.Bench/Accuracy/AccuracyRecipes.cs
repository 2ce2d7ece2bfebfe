namespace Bszo.Bench.Accuracy;

/// <summary>One method's settings in the accuracy comparison.</summary>
/// <param name="Method">Optimizer name from the catalog.</param>
/// <param name="LearningRate">Null: `bszo finetune`'s default (the model card's recipe, else the method's published default).</param>
/// <param name="Epsilon">Null: likewise.</param>
/// <param name="Trainable">Tensor patterns to train; empty: the card's list.</param>
/// <param name="Steps">Optimizer steps of a full run: with the method's forward passes per step, the run's forward-pass budget.</param>
/// <param name="Options">Method-specific options (`--optimizer-option key=value`).</param>
public sealed record AccuracyRecipe(string Method, double? LearningRate, double? Epsilon, IReadOnlyList<string> Trainable, long Steps,
    IReadOnlyDictionary<string, string>? Options = null);

/// <summary>
/// The accuracy comparison's settings: the one file to edit when the default model's fine-tuning
/// recipe changes. Every method gets the same forward-pass budget; steps differ because MeZO and
/// SubZero spend 2 forward passes per step, BSZO 3 (k = 2) and BSZO-B 4 (m = 3).
/// </summary>
public static class AccuracyRecipes
{
    /// <summary>
    /// Forward passes per run, equal for every method: BSZO's 20,000 steps (MeZO's step count) at 3
    /// passes each. With the default model's head-only recipe each pass runs only the head over
    /// cached encoder rows, so a run takes about a minute on 2 cores.
    /// </summary>
    public const long Budget = 60_000;

    /// <summary>The tiny plan's budget: enough for every method to take a few steps.</summary>
    public const long TinyBudget = 48;

    /// <summary>Per method at a forward-pass budget: steps = budget / passes per step. Null and empty values defer to `bszo finetune`'s defaults.</summary>
    public static IReadOnlyList<AccuracyRecipe> Methods(long budget) =>
    [
        new("mezo", LearningRate: null, Epsilon: null, Trainable: [], Steps: budget / 2),
        new("subzero", LearningRate: null, Epsilon: null, Trainable: [], Steps: budget / 2),
        new("bszo", LearningRate: null, Epsilon: null, Trainable: [], Steps: budget / 3),
        new("bszo-b", LearningRate: null, Epsilon: null, Trainable: [], Steps: budget / 4),
    ];

    /// <summary>The full comparison: 3 seeds (each seeds both the perturbations and the data sample), the task's MeZO split sizes.</summary>
    public static AccuracyPlan Full { get; } = new()
    {
        Seeds = [0, 1, 2],
        Methods = Methods(Budget),
        Evaluations = 6,
        BatchSize = 16,
    };

    /// <summary>A run of minutes that checks the whole path: 2 seeds, a budget of 48 passes, small splits.</summary>
    public static AccuracyPlan Tiny { get; } = Full with
    {
        Seeds = [0, 1],
        Methods = Methods(TinyBudget),
        Evaluations = 4,
        NumTrain = 64,
        NumDev = 32,
        NumTest = 64,
    };
}

/// <summary>Seeds, methods and evaluation settings of one accuracy comparison.</summary>
public sealed record AccuracyPlan
{
    public required IReadOnlyList<ulong> Seeds { get; init; }

    public required IReadOnlyList<AccuracyRecipe> Methods { get; init; }

    /// <summary>Dev evaluations per run, at equal forward-pass intervals for every method.</summary>
    public required int Evaluations { get; init; }

    public required int BatchSize { get; init; }

    /// <summary>Split sizes; null: the task's defaults (MeZO: 1000 / 500 / 1000).</summary>
    public int? NumTrain { get; init; }

    public int? NumDev { get; init; }

    public int? NumTest { get; init; }
}
