using Bszo.Models.Tokenizers;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Adapters;

/// <summary>
/// The token inputs of encoder-style models for a batch of texts: a row is [bos?] + tokens(text) +
/// [eos?], cut to the card's maximum length (keeping the start), right-padded with the pad id.
/// </summary>
/// <remarks>
/// Inputs are fed by the roles the card names: <c>input_ids</c> always, and when the graph takes them
/// <c>attention_mask</c> (1 on tokens), <c>position_ids</c> (0, 1, ... per row) and <c>token_type_ids</c>
/// (all 0). Holds the tokenizer only; owns no native memory.
/// </remarks>
internal sealed class TokenBatcher(ModelCard card, CardTokenizer tokenizer)
{
    /// <summary>The ids of one row.</summary>
    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        if (tokenizer.BosId is int bos) ids.Add(bos);
        var body = tokenizer.Encode(text);
        int room = card.MaxLength - ids.Count - (tokenizer.EosId is null ? 0 : 1);
        ids.AddRange(body.Take(Math.Max(0, room)));
        if (tokenizer.EosId is int eos) ids.Add(eos);
        return ids;
    }

    /// <summary>The token inputs of <paramref name="texts"/>, plus <paramref name="labels"/> [batch] as input <paramref name="labelsInput"/> when given (the caller disposes the batch).</summary>
    public TensorBatch Collate(IReadOnlyList<string> texts, string? labelsInput = null, long[]? labels = null)
    {
        if (texts.Count == 0) throw new ArgumentException("A batch needs at least one example.", nameof(texts));
        var rows = texts.Select(Encode).ToList();
        int n = rows.Count, seq = Math.Max(1, rows.Max(r => r.Count));
        var ids = new long[n * seq];
        var mask = new long[n * seq];
        var positions = new long[n * seq];
        Array.Fill(ids, tokenizer.PadId);
        for (int r = 0; r < n; r++)
        {
            for (int t = 0; t < rows[r].Count; t++)
            {
                ids[r * seq + t] = rows[r][t];
                mask[r * seq + t] = 1;
                positions[r * seq + t] = t;
            }
        }
        var batch = new TensorBatch(n);
        try
        {
            batch.Add(Input("input_ids"), ids, n, seq);
            if (card.Inputs.ContainsKey("attention_mask")) batch.Add(Input("attention_mask"), mask, n, seq);
            if (card.Inputs.ContainsKey("position_ids")) batch.Add(Input("position_ids"), positions, n, seq);
            if (card.Inputs.ContainsKey("token_type_ids")) batch.Add(Input("token_type_ids"), new long[n * seq], n, seq);
            if (labelsInput is not null && labels is not null) batch.Add(labelsInput, labels, n);
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    private string Input(string role) => card.Inputs.GetValueOrDefault(role, role);
}
