namespace Bszo.Bench.Accuracy;

/// <summary>One method of an arm: an optimizer, its learning-rate grid and options.</summary>
/// <param name="Method">Optimizer name from the catalog.</param>
/// <param name="LearningRates">The grid; the rate with the best dev score of the selection seed is run on every seed.</param>
/// <param name="PassesPerStep">Forward passes per step: steps = the arm's budget / this.</param>
/// <param name="Options">Method-specific options (`--optimizer-option key=value`).</param>
/// <param name="Label">Name in the reports (default: the method's), e.g. "bszo k=8".</param>
public sealed record AccuracyMethod(string Method, IReadOnlyList<double> LearningRates, int PassesPerStep,
    IReadOnlyDictionary<string, string>? Options = null, string? Label = null)
{
    /// <summary>The name in reports and run directories.</summary>
    public string Name => Label ?? Method;

    /// <summary>Steps that spend <paramref name="budget"/> forward passes.</summary>
    public long Steps(long budget) => Math.Max(1, budget / PassesPerStep);
}

/// <summary>A model stored in 16 bits for the reduced-precision arm: which tensors, which type.</summary>
/// <param name="DataType">ONNX type: float16 (10) or bfloat16 (16).</param>
/// <param name="Tensors">Globs of the initializers stored in 16 bits; empty: the model card's trainable tensors.</param>
public sealed record SixteenBitStorage(int DataType, IReadOnlyList<string> Tensors);

/// <summary>
/// What one arm of the comparison trains, with which methods and budget. Arms run in the plan's order,
/// which is their priority: when the time limit is reached, later runs are skipped and reported so.
/// </summary>
public sealed record AccuracyArm
{
    /// <summary>Short name (tables, run directories).</summary>
    public required string Name { get; init; }

    /// <summary>One line: what trains.</summary>
    public required string Description { get; init; }

    /// <summary>`bszo finetune --model` (a directory or a name); null: the default model.</summary>
    public string? Model { get; init; }

    /// <summary>
    /// The arm whose trained weights each run starts from: per seed and method, that arm's run at the
    /// method's chosen rate, exported with its best dev weights (`bszo export`). Null: the model as
    /// given. This is linear probing then fine-tuning: the layers beyond the head start under a
    /// trained head instead of training it at their own, much smaller, learning rate.
    /// </summary>
    public string? ContinueFrom { get; init; }

    /// <summary>The model with these tensors stored in 16 bits (a copy written into the work directory).</summary>
    public SixteenBitStorage? Storage { get; init; }

    /// <summary>`bszo finetune` arguments that choose what trains (e.g. --trainable patterns); empty: the card's recipe.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Training forward passes per run, equal for every method of the arm.</summary>
    public long Budget { get; init; }

    /// <summary>The methods compared; empty for the linear probe.</summary>
    public IReadOnlyList<AccuracyMethod> Methods { get; init; } = [];

    /// <summary>
    /// For the linear probe: the arm whose runs give the splits and the frozen features (a head-only
    /// arm). The probe is fitted per seed on that arm's run of the seed.
    /// </summary>
    public string? ProbeOf { get; init; }

    /// <summary>Split sizes for this arm; null: the plan's.</summary>
    public int? NumTrain { get; init; }

    public int? NumDev { get; init; }

    public int? NumTest { get; init; }
}

/// <summary>Seeds, ε, evaluation settings and arms of one accuracy comparison.</summary>
public sealed record AccuracyPlan
{
    /// <summary>Seeds of every arm; the first also selects each method's learning rate (on dev).</summary>
    public required IReadOnlyList<ulong> Seeds { get; init; }

    /// <summary>More seeds for the methods of an arm whose test means lie within two standard deviations of each other.</summary>
    public IReadOnlyList<ulong> ExtraSeeds { get; init; } = [];

    /// <summary>One ε for every method of the comparison (the BSZO paper's protocol; MeZO's own recipe uses 1e-3).</summary>
    public required double Epsilon { get; init; }

    /// <summary>Dev evaluations per run, at equal forward-pass intervals for every method.</summary>
    public required int Evaluations { get; init; }

    public required int BatchSize { get; init; }

    /// <summary>The arms, in priority order.</summary>
    public required IReadOnlyList<AccuracyArm> Arms { get; init; }

    /// <summary>No run starts after this much time; null: no limit.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>Split sizes; null: the task's defaults (MeZO: 1000 / 500 / 1000).</summary>
    public int? NumTrain { get; init; }

    public int? NumDev { get; init; }

    public int? NumTest { get; init; }
}
