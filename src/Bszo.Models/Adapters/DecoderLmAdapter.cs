using Bszo.Models.Tokenizers;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Adapters;

/// <summary>
/// Causal language models (GPT-2, OPT, Llama, Qwen2 exports) trained and evaluated the MeZO way: each
/// example's prompt is followed by each candidate answer, the graph scores a row by the mean
/// log-likelihood of the candidate's tokens (<see cref="CandidateLossHead"/>), and the prediction is
/// the candidate with the highest score.
/// </summary>
/// <remarks>
/// A row is [bos?] + tokens(prompt) + tokens(candidate), right-padded. Prompt and candidate are
/// tokenized separately, so a candidate's tokens are exactly those of the answer string (candidates
/// carry their own leading space, e.g. " great"). Holds the tokenizer only; owns no native memory.
/// </remarks>
public sealed class DecoderLmAdapter : ModelAdapter
{
    private readonly CardTokenizer _tokenizer;
    private readonly string _logits;
    private readonly int _maxLength;

    private DecoderLmAdapter(ModelCard card, DecoderLmOptions options) : base(card)
    {
        Options = options;
        _tokenizer = CardTokenizer.Create(card);
        _logits = card.Outputs.GetValueOrDefault("logits", "logits");
        _maxLength = options.MaxLength > 0 ? options.MaxLength : card.MaxLength;
        if (_maxLength < 2)
        {
            Throw.Bszo($"Maximum length {_maxLength} is too short for a decoder.", "at least 2 tokens", $"{_maxLength}");
        }
    }

    public const string KindName = "decoder-lm";

    public override string Kind => KindName;

    /// <summary>The adapter's settings.</summary>
    public DecoderLmOptions Options { get; }

    /// <summary>The tokenizer built from the card.</summary>
    public CardTokenizer Tokenizer => _tokenizer;

    /// <summary>Creates the adapter for a decoder card.</summary>
    public static DecoderLmAdapter Create(ModelCard card, DecoderLmOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(card);
        if (card.Kind != KindName)
        {
            Throw.Bszo($"The model in '{card.Directory}' is a '{card.Kind}' model.", KindName, card.Kind);
        }
        return new DecoderLmAdapter(card, options ?? new DecoderLmOptions());
    }

    public override LossHead CreateLossHead() => CandidateLossHead.Create(_logits, Options.Protocol);

    /// <summary>
    /// Training batch: under classification, examples × candidates rows (the loss has one value per
    /// example); under generation, one row per example holding its gold answer.
    /// </summary>
    public override TensorBatch Collate(IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        CheckExamples(examples);
        if (Options.Protocol == CandidateProtocol.Generation)
        {
            var rows = examples.Select(e => (TokenRow?)MakeRow(e.Prompt, e.Candidates[e.Label])).ToList();
            return Build(rows, examples.Count, grid: null, examples);
        }
        var (gridRows, width) = Grid(examples);
        return Build(gridRows, examples.Count, width, examples);
    }

    /// <summary>Scores every candidate and returns the index of the best one per example.</summary>
    public override int[] Predict(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(session);
        // A graph with the classification protocol scores the training batch itself; a generation graph scores one row per candidate.
        if (session.DataInputs.Contains(CandidateLossHead.CandidateMask)) return PredictFromBatch(session, examples);
        var scores = Score(session, examples);
        return scores.Select(row => Array.IndexOf(row, row.Max())).ToArray();
    }

    /// <summary>Under the classification protocol, the candidates' scores of the training batch ([examples × candidates] rows).</summary>
    public override string? ClassLogitsOutput => Options.Protocol == CandidateProtocol.Classification ? CandidateLossHead.ScoreOutput : null;

    public override string? SequenceMask => Input("attention_mask");

    /// <summary>The best of each example's own candidates, from the scores of its rows (unused candidate slots are never chosen).</summary>
    protected internal override int[] ReadPredictions(ReadOnlySpan<float> values, IReadOnlyList<long> shape, IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        int width = examples.Max(e => e.Candidates.Count);
        if (values.Length != examples.Count * width)
        {
            Throw.Bszo($"Output '{CandidateLossHead.ScoreOutput}' has {values.Length} scores.", $"{examples.Count} examples × {width} candidates",
                $"shape [{string.Join(", ", shape)}]");
        }
        var predictions = new int[examples.Count];
        for (int i = 0; i < predictions.Length; i++) predictions[i] = ArgMax(values.Slice(i * width, examples[i].Candidates.Count));
        return predictions;
    }

    /// <summary>Mean log-likelihood of each candidate of each example (jagged: [example][candidate]).</summary>
    public double[][] Score(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(examples);
        CheckExamples(examples);
        var (rows, width) = Grid(examples);
        // The graph's protocol decides which inputs it takes; the score output is the same in both.
        using var batch = session.DataInputs.Contains(CandidateLossHead.CandidateMask)
            ? Build(rows, examples.Count, width, examples)
            : Build(rows, rows.Count, grid: null, examples);
        var (data, _) = session.Run(batch, CandidateLossHead.ScoreOutput);
        return examples.Select((e, i) => Enumerable.Range(0, e.Candidates.Count).Select(c => (double)data[i * width + c]).ToArray()).ToArray();
    }

    private (List<TokenRow?> Rows, int Width) Grid(IReadOnlyList<PromptedExample> examples)
    {
        int width = examples.Max(e => e.Candidates.Count);
        var rows = new List<TokenRow?>(examples.Count * width);
        foreach (var e in examples)
        {
            var prompt = _tokenizer.Encode(e.Prompt);
            for (int c = 0; c < width; c++) rows.Add(c < e.Candidates.Count ? MakeRow(prompt, e.Candidates[c]) : null);
        }
        return (rows, width);
    }

    /// <summary>One row's tokens and where its candidate starts.</summary>
    private sealed record TokenRow(int[] Ids, int CandidateStart);

    private TokenRow MakeRow(string prompt, string candidate) => MakeRow(_tokenizer.Encode(prompt), candidate);

    private TokenRow MakeRow(IReadOnlyList<int> prompt, string candidate)
    {
        var answer = _tokenizer.Encode(candidate);
        if (answer.Count == 0)
        {
            Throw.Bszo($"Candidate '{candidate}' has no tokens.", "a non-empty answer string", "an empty one",
                "check the task's verbalizer.");
        }
        int bos = _tokenizer.BosId is null ? 0 : 1;
        int room = _maxLength - bos - answer.Count;
        if (room < 1)
        {
            Throw.Bszo($"Candidate '{candidate}' is {answer.Count} tokens long.",
                $"at most {_maxLength - bos - 1} tokens (maxLength {_maxLength})", $"{answer.Count}", "shorten the answer or raise the maximum length.");
        }
        var kept = prompt.Count > room ? prompt.Skip(prompt.Count - room) : prompt; // cut the prompt from the left
        var ids = new List<int>(_maxLength);
        if (_tokenizer.BosId is int b) ids.Add(b);
        ids.AddRange(kept);
        int start = ids.Count;
        ids.AddRange(answer);
        return new TokenRow([.. ids], start);
    }

    private TensorBatch Build(IReadOnlyList<TokenRow?> rows, int examples, int? grid, IReadOnlyList<PromptedExample> labelsFrom)
    {
        int n = rows.Count, seq = Math.Max(2, rows.Max(r => r?.Ids.Length ?? 0));
        var ids = new long[n * seq];
        var mask = new long[n * seq];
        var positions = new long[n * seq];
        var targets = new long[n * seq];
        var targetMask = new float[n * seq];
        Array.Fill(ids, _tokenizer.PadId);
        for (int r = 0; r < n; r++)
        {
            if (rows[r] is not TokenRow row) continue; // an unused candidate slot: all padding, scored 0, masked off
            int o = r * seq;
            for (int t = 0; t < row.Ids.Length; t++)
            {
                ids[o + t] = row.Ids[t];
                mask[o + t] = 1;
                positions[o + t] = t;
            }
            // Position t predicts token t + 1; the candidate's tokens are the targets.
            for (int t = row.CandidateStart - 1; t < row.Ids.Length - 1; t++)
            {
                targets[o + t] = row.Ids[t + 1];
                targetMask[o + t] = 1f;
            }
        }
        var batch = new TensorBatch(examples);
        try
        {
            batch.Add(Input("input_ids"), ids, n, seq).Add(Input("attention_mask"), mask, n, seq);
            if (Card.Inputs.ContainsKey("position_ids")) batch.Add(Input("position_ids"), positions, n, seq);
            batch.Add(CandidateLossHead.TargetIds, targets, n, seq).Add(CandidateLossHead.TargetMask, targetMask, n, seq);
            if (grid is int width)
            {
                var candidateMask = new float[examples * width];
                var labels = new long[examples];
                for (int e = 0; e < examples; e++)
                {
                    for (int c = 0; c < labelsFrom[e].Candidates.Count; c++) candidateMask[e * width + c] = 1f;
                    labels[e] = labelsFrom[e].Label;
                }
                batch.Add(CandidateLossHead.CandidateMask, candidateMask, examples, width).Add(CandidateLossHead.Labels, labels, examples);
            }
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    private string Input(string role) => Card.Inputs.GetValueOrDefault(role, role);

    private static void CheckExamples(IReadOnlyList<PromptedExample> examples)
    {
        if (examples.Count == 0) throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        foreach (var e in examples)
        {
            if (e.Candidates.Count == 0 || e.Label < 0 || e.Label >= e.Candidates.Count)
            {
                Throw.Bszo($"Example '{Shorten(e.Prompt)}' has label {e.Label} and {e.Candidates.Count} candidates.",
                    "at least one candidate and a label indexing one of them", $"label {e.Label}", "check the task's labels and verbalizer.");
            }
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
