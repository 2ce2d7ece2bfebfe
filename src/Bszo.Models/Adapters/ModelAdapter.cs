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
}
