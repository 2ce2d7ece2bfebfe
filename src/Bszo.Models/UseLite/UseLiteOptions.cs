namespace Bszo.Models.UseLite;

/// <summary>One class of the zero-shot head: its name and the prompts whose embeddings define it.</summary>
/// <param name="Name">Class name, as written in the model card's labels.</param>
/// <param name="Prompts">Sentences that express the class; the head's row for the class is their mean embedding.</param>
public sealed record UseLiteLabel(string Name, IReadOnlyList<string> Prompts);

/// <summary>Options of <see cref="UseLiteModel.Create"/>.</summary>
public sealed record UseLiteOptions
{
    /// <summary>
    /// SST-2: "negative" ("The movie was terrible.") and "positive" ("The movie was great."). On the
    /// 4000 Pang &amp; Lee sentences these prompts give 67.8 % zero-shot accuracy, against 60.7 % for
    /// "It was terrible." / "It was great.".
    /// </summary>
    public static IReadOnlyList<UseLiteLabel> Sst2Labels { get; } =
    [
        new("negative", ["The movie was terrible."]),
        new("positive", ["The movie was great."]),
    ];

    /// <summary>The classes of the head, in logit order, with their prompts.</summary>
    public IReadOnlyList<UseLiteLabel> Labels { get; init; } = Sst2Labels;

    /// <summary>
    /// Scale of the head's weight rows (unit prompt embeddings), so logits are scaled cosine
    /// similarities: an inverse softmax temperature.
    /// </summary>
    public float LogitScale { get; init; } = 20f;

    /// <summary>Where converted models are kept (default: the <c>models</c> folder of the Bszo cache).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Progress messages (download, conversion).</summary>
    public Action<string>? Log { get; init; }
}
