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
    /// The output from which predictions are read (<see cref="ReadPredictions"/>), computed from the very
    /// batch <see cref="Collate"/> makes: class logits [batch, classes], or a decoder's candidate scores;
    /// null when <see cref="Predict"/> needs batches of its own. Adapters that name it can train on
    /// cached frozen-prefix activations (<see cref="CachedPrefixAdapter"/>).
    /// </summary>
    public virtual string? ClassLogitsOutput => null;

    /// <summary>
    /// The input whose nonzero entries mark the real positions of each row, [rows, sequence] (the
    /// attention mask); null when the model's batches have no sequence axis. The frozen-prefix cache
    /// trims each example's stored rows to the positions it marks.
    /// </summary>
    public virtual string? SequenceMask => Card.Inputs.GetValueOrDefault("attention_mask");

    /// <summary>
    /// The predictions for <paramref name="examples"/> from the values of <see cref="ClassLogitsOutput"/>
    /// (shape <paramref name="shape"/>) on their batch: by default the arg-max over each example's row of
    /// [examples, classes].
    /// </summary>
    protected internal virtual int[] ReadPredictions(ReadOnlySpan<float> values, IReadOnlyList<long> shape, IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(examples);
        if (shape.Count != 2 || shape[0] != examples.Count)
        {
            Throw.Bszo($"Output '{ClassLogitsOutput}' has shape [{string.Join(", ", shape)}].", $"[{examples.Count}, classes]", $"[{string.Join(", ", shape)}]");
        }
        int classes = (int)shape[1];
        var predictions = new int[examples.Count];
        for (int i = 0; i < predictions.Length; i++) predictions[i] = ArgMax(values.Slice(i * classes, classes));
        return predictions;
    }

    /// <summary>
    /// Predictions read from <see cref="ClassLogitsOutput"/> (see <see cref="ReadPredictions"/>), run on
    /// the batch <see cref="Collate"/> makes for <paramref name="examples"/>.
    /// </summary>
    protected int[] PredictFromBatch(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(examples);
        var output = ClassLogitsOutput ?? throw new InvalidOperationException($"The {Kind} adapter names no output to read predictions from.");
        using var batch = Collate(examples);
        var (values, shape) = session.Run(batch, output);
        return ReadPredictions(values, shape, examples);
    }

    /// <summary>Index of the largest value (the first of equal ones).</summary>
    protected static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
