using Bszo.Ort.Runtime;

namespace Bszo.Models.Evaluation;

/// <summary>
/// What greedy decoding needs from a decoder language model's adapter: its tokenizer, and one
/// forward pass that returns the most likely next token of each sequence.
/// </summary>
/// <remarks>
/// Decoder adapters implement this next to <see cref="Adapters.ModelAdapter"/>; generation tasks
/// (SQuAD, DROP) are evaluated through <see cref="GreedyDecoding"/>. The next-token pass runs the
/// training graph's logits output with the weights in place, so it sees the current fine-tuned weights;
/// a candidate head computes logits only at scored positions by default and has no logits output, so a
/// decoder that generates prepares its head with <c>scoredPositionsOnly: false</c>.
/// </remarks>
public interface IGreedyDecoder
{
    /// <summary>Token ids of <paramref name="text"/> (without end-of-sequence).</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>The text of <paramref name="tokens"/>.</summary>
    string Decode(IReadOnlyList<int> tokens);

    /// <summary>For each sequence, the id of the most probable next token (argmax of the last position's logits).</summary>
    int[] NextTokens(TrainingGraphSession session, IReadOnlyList<IReadOnlyList<int>> sequences);

    /// <summary>Token ids that end generation (end-of-sequence).</summary>
    IReadOnlyCollection<int> StopTokens { get; }
}
