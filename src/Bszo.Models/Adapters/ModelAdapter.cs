using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Adapters;

/// <summary>
/// One example after its task's template was applied: the prompt text, the verbalized candidate
/// answers, and the index of the correct one.
/// </summary>
/// <param name="Prompt">The model input (for decoders, the text before the answer).</param>
/// <param name="Candidates">Answer strings: label words for classification, options for multiple choice, the gold answer for generation.</param>
/// <param name="Label">Index of the correct candidate (or class).</param>
public sealed record PromptedExample(string Prompt, IReadOnlyList<string> Candidates, int Label);

/// <summary>
/// Connects a model family to Bszo's training loop: how its training graph computes the loss, how a
/// batch of examples becomes graph inputs, and how predictions are read back.
/// </summary>
/// <remarks>
/// Implementations are sealed and created from a <see cref="ModelCard"/> with
/// <see cref="ModelAdapters.Create"/>. An adapter holds the tokenizer and settings; it owns no native memory.
/// </remarks>
public abstract class ModelAdapter
{
    protected ModelAdapter(ModelCard card) => Card = card ?? throw new ArgumentNullException(nameof(card));

    /// <summary>The model's card.</summary>
    public ModelCard Card { get; }

    /// <summary>"encoder-classifier", "decoder-lm" or "generic".</summary>
    public abstract string Kind { get; }

    /// <summary>The loss head `bszo prepare` attaches for this family.</summary>
    public abstract LossHead CreateLossHead();

    /// <summary>Graph inputs of a training batch for <paramref name="examples"/> (the caller disposes it).</summary>
    public abstract TensorBatch Collate(IReadOnlyList<PromptedExample> examples);

    /// <summary>Index of the predicted candidate for each example.</summary>
    public abstract int[] Predict(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples);

    /// <summary>
    /// The output whose per-example arg-max is the prediction, computed from the very batch
    /// <see cref="Collate"/> makes; null when <see cref="Predict"/> needs batches of its own (scoring
    /// each candidate answer). Adapters that name it can train on cached frozen-prefix activations
    /// (<see cref="CachedPrefixAdapter"/>).
    /// </summary>
    public virtual string? ClassLogitsOutput => null;

    /// <summary>
    /// The arg-max over the last axis of <paramref name="output"/>, run on the batch <see cref="Collate"/>
    /// makes for <paramref name="examples"/>: prediction for adapters whose output is class logits.
    /// </summary>
    protected int[] PredictByArgMax(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples, string output)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(examples);
        using var batch = Collate(examples);
        var (logits, shape) = session.Run(batch, output);
        if (shape.Length != 2 || shape[0] != examples.Count)
        {
            Throw.Bszo($"Output '{output}' has shape [{string.Join(", ", shape)}].", $"[{examples.Count}, classes]", $"[{string.Join(", ", shape)}]");
        }
        int classes = (int)shape[1];
        var predictions = new int[examples.Count];
        for (int i = 0; i < predictions.Length; i++)
        {
            var row = logits.AsSpan(i * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
            predictions[i] = best;
        }
        return predictions;
    }
}
