using Bszo.Models.Tokenizers;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Microsoft.ML.Tokenizers;

namespace Bszo.Models.Adapters;

/// <summary>
/// Encoder models with a classification head (<c>logits</c> [batch, classes]): USE-lite, BERT-style
/// encoders. The prompt is tokenized, truncated to the card's maximum length and padded to the
/// longest example of the batch; the loss is the cross-entropy of the logits against the label.
/// </summary>
public sealed class EncoderClassifierAdapter : ModelAdapter
{
    /// <summary>The model card kind this adapter serves.</summary>
    public const string KindName = "encoder-classifier";

    /// <summary>The name of the labels input the loss head adds.</summary>
    public const string LabelsInput = "labels";

    private readonly int _padId;
    private readonly int? _bosId;
    private readonly int? _eosId;
    private readonly string? _tokenTypeIds;

    /// <summary>Creates the adapter and loads the card's tokenizer.</summary>
    public EncoderClassifierAdapter(ModelCard card)
        : base(card)
    {
        if (card.Kind != KindName)
        {
            Throw.Bszo($"The model in '{card.Directory}' is a '{card.Kind}' model.", KindName, card.Kind);
        }
        Tokenizer = ModelTokenizers.Create(card);
        InputIds = card.Inputs.GetValueOrDefault("input_ids", "input_ids");
        AttentionMask = card.Inputs.GetValueOrDefault("attention_mask", "attention_mask");
        _tokenTypeIds = card.Inputs.GetValueOrDefault("token_type_ids");
        Logits = card.Outputs.GetValueOrDefault("logits", "logits");
        _padId = card.Tokenizer!.PadId ?? 0;
        _bosId = card.Tokenizer.BosId;
        _eosId = card.Tokenizer.EosId;
        if (card.MaxLength < 1 + (_bosId is null ? 0 : 1) + (_eosId is null ? 0 : 1))
        {
            Throw.Bszo($"The model card in '{card.Directory}' allows {card.MaxLength} tokens.", "room for at least one token besides BOS/EOS", card.MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    public override string Kind => KindName;

    /// <summary>The tokenizer named by the card.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>Graph input names.</summary>
    public string InputIds { get; }

    public string AttentionMask { get; }

    /// <summary>Graph output holding the class logits.</summary>
    public string Logits { get; }

    /// <summary>The token ids the model sees for <paramref name="text"/>: BOS/EOS if the card names them, truncated to the maximum length.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = Tokenizer.EncodeToIds(text);
        int room = Card.MaxLength - (_bosId is null ? 0 : 1) - (_eosId is null ? 0 : 1);
        var result = new List<int>(Math.Min(ids.Count, room) + 2);
        if (_bosId is { } bos) result.Add(bos);
        for (int i = 0; i < ids.Count && i < room; i++) result.Add(ids[i]);
        if (_eosId is { } eos) result.Add(eos);
        return [.. result];
    }

    public override LossHead CreateLossHead() => ClassificationLossHead.Create(Logits, LabelsInput);

    public override TensorBatch Collate(IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        var encoded = new int[examples.Count][];
        var labels = new long[examples.Count];
        int classes = Card.Labels.Count;
        for (int i = 0; i < examples.Count; i++)
        {
            encoded[i] = Encode(examples[i].Prompt);
            int label = examples[i].Label;
            if (label < 0 || (classes > 0 && label >= classes))
            {
                Throw.Bszo($"Example {i} of the batch has label {label}.", $"a class index in [0, {classes})", label.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"the model's classes are {string.Join(", ", Card.Labels)}; check the task's label mapping.");
            }
            labels[i] = label;
        }
        // At least one position, so that an all-empty batch still has a (fully masked) sequence axis.
        int width = Math.Max(1, encoded.Max(e => e.Length));
        var ids = new long[examples.Count * width];
        var mask = new long[examples.Count * width];
        Array.Fill(ids, _padId);
        for (int i = 0; i < encoded.Length; i++)
        {
            for (int j = 0; j < encoded[i].Length; j++)
            {
                ids[i * width + j] = encoded[i][j];
                mask[i * width + j] = 1;
            }
        }
        var batch = new TensorBatch(examples.Count);
        try
        {
            batch.Add(InputIds, ids, examples.Count, width).Add(AttentionMask, mask, examples.Count, width);
            if (_tokenTypeIds is not null) batch.Add(_tokenTypeIds, new long[ids.Length], examples.Count, width);
            batch.Add(LabelsInput, labels, examples.Count);
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    public override string? ClassLogitsOutput => Logits;

    public override string? SequenceMask => AttentionMask;

    public override int[] Predict(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples) => PredictFromBatch(session, examples);
}
