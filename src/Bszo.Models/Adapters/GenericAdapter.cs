using Bszo.Models.Tokenizers;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Adapters;

/// <summary>
/// Any ONNX model that takes token inputs and either outputs class logits [batch, classes] or a
/// per-example loss [batch]: Optimum exports of sequence classifiers, or models carrying their own loss.
/// </summary>
/// <remarks>
/// <para>A row is [bos?] + tokens(prompt) + [eos?], right-padded, cut to the card's maxLength
/// (keeping the start). Inputs are fed by role: <c>input_ids</c>, <c>attention_mask</c>, and, when the
/// graph takes them, <c>position_ids</c> (0, 1, ... per row) and <c>token_type_ids</c> (all 0);
/// <c>labels</c> are the examples' labels.</para>
/// <para>Prediction reads the argmax of the logits. A loss-only model predicts, for each example, the
/// candidate label whose loss is lowest, which needs a <c>labels</c> input. Owns no native memory.</para>
/// </remarks>
public sealed class GenericAdapter : ModelAdapter
{
    public const string KindName = "generic";

    private readonly CardTokenizer _tokenizer;
    private readonly TokenBatcher _batcher;

    private GenericAdapter(ModelCard card) : base(card)
    {
        _tokenizer = CardTokenizer.Create(card);
        _batcher = new TokenBatcher(card, _tokenizer);
        LogitsOutput = card.Outputs.GetValueOrDefault("logits");
        LossOutput = card.Outputs.GetValueOrDefault("loss");
        if (LogitsOutput is null && LossOutput is null)
        {
            Throw.Bszo($"The model card in '{card.Directory}' names neither a logits nor a loss output.",
                "outputs.logits ([batch, classes]) or outputs.loss ([batch])", string.Join(", ", card.Outputs.Keys));
        }
    }

    public override string Kind => KindName;

    /// <summary>The class-logits output, if the model has one.</summary>
    public string? LogitsOutput { get; }

    /// <summary>The per-example loss output, if the model has one (used in preference to logits).</summary>
    public string? LossOutput { get; }

    /// <summary>The tokenizer built from the card.</summary>
    public CardTokenizer Tokenizer => _tokenizer;

    /// <summary>Creates the adapter for <paramref name="card"/>.</summary>
    public static GenericAdapter Create(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        return new GenericAdapter(card);
    }

    public override LossHead CreateLossHead() =>
        LossOutput is not null ? OutputLossHead.Create(LossOutput) : ClassificationLossHead.Create(LogitsOutput!, Role("labels"));

    public override TensorBatch Collate(IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        return Build(examples, examples.Select(e => (long)e.Label).ToArray());
    }

    /// <summary>The logits output when the model has no loss output of its own (then predictions come from the training batch).</summary>
    public override string? ClassLogitsOutput => LossOutput is null ? LogitsOutput : null;

    public override int[] Predict(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(examples);
        if (LossOutput is null)
        {
            using var batch = Build(examples, new long[examples.Count]);
            var (logits, shape) = session.Run(batch, LogitsOutput!);
            int classes = (int)shape[^1];
            return Enumerable.Range(0, examples.Count).Select(i => ArgMax(logits.AsSpan(i * classes, classes))).ToArray();
        }
        if (!session.DataInputs.Contains(Role("labels")))
        {
            Throw.Bszo("A loss-only model without a labels input cannot rank answers.",
                "a 'labels' input, or a logits output", string.Join(", ", session.DataInputs),
                "export the model with its logits, or give its loss a labels input.");
        }
        int most = examples.Max(e => e.Candidates.Count);
        var best = new int[examples.Count];
        var bestLoss = Enumerable.Repeat(float.PositiveInfinity, examples.Count).ToArray();
        for (int c = 0; c < most; c++)
        {
            using var batch = Build(examples, Enumerable.Repeat((long)c, examples.Count).ToArray());
            var (loss, _) = session.Run(batch, LossHead.LossOutput);
            for (int i = 0; i < examples.Count; i++)
            {
                if (c < examples[i].Candidates.Count && loss[i] < bestLoss[i]) (bestLoss[i], best[i]) = (loss[i], c);
            }
        }
        return best;
    }

    private TensorBatch Build(IReadOnlyList<PromptedExample> examples, long[] labels) =>
        _batcher.Collate(examples.Select(e => e.Prompt).ToList(), Role("labels"), labels);

    private string Role(string role) => Card.Inputs.GetValueOrDefault(role, role);
}
