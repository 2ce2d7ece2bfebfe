using Bszo.Ort.Graph;

namespace Bszo.Models.Adapters;

/// <summary>Settings of <see cref="DecoderLmAdapter"/>.</summary>
public sealed record DecoderLmOptions
{
    /// <summary>
    /// Classification: every candidate is scored and the loss is a cross-entropy over them (MeZO's
    /// <c>train_as_classification</c>). Generation: the loss is the gold answer's negative mean log-likelihood.
    /// </summary>
    public CandidateProtocol Protocol { get; init; } = CandidateProtocol.Classification;

    /// <summary>Longest row (prompt + candidate) in tokens; 0 uses the card's maxLength. Prompts are cut from the left.</summary>
    public int MaxLength { get; init; }
}
