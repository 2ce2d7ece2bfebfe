namespace Bszo.Models.Data;

/// <summary>How train, dev and test examples are drawn from the data (see <see cref="SplitSampler"/>).</summary>
public sealed record SamplingOptions
{
    /// <summary>Training examples (MeZO: 1000).</summary>
    public int Train { get; init; } = 1000;

    /// <summary>Development examples, used for evaluation during training and for early stopping (MeZO: 500).</summary>
    public int Dev { get; init; } = 500;

    /// <summary>Held-out test examples, scored once with the best weights (MeZO: 1000).</summary>
    public int Test { get; init; } = 1000;

    /// <summary>
    /// RoBERTa-style k-shot sampling: k training and k dev examples per class (MeZO used k = 16
    /// and 512) instead of <see cref="Train"/> and <see cref="Dev"/>. Null: MeZO's fixed counts.
    /// </summary>
    public int? KPerClass { get; init; }

    /// <summary>The data seed (MeZO's train_set_seed).</summary>
    public ulong Seed { get; init; }
}

/// <summary>The prompted examples of a run.</summary>
/// <param name="Train">Training examples.</param>
/// <param name="Dev">Development examples (evaluation during training, early stopping, best weights).</param>
/// <param name="Test">Held-out test examples.</param>
public sealed record DataSplits(
    IReadOnlyList<Adapters.PromptedExample> Train,
    IReadOnlyList<Adapters.PromptedExample> Dev,
    IReadOnlyList<Adapters.PromptedExample> Test)
{
    /// <summary>What looked wrong in the rows although they could be read (e.g. empty text fields), one sentence each.</summary>
    public IReadOnlyList<string> Concerns { get; init; } = [];
}
