using Bszo.Ort.Runtime;

namespace Bszo.Models.Evaluation;

/// <summary>Options of <see cref="GreedyDecoding.Generate"/>. Defaults follow MeZO's generation setup.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most tokens generated per answer.</summary>
    public int MaxNewTokens { get; init; } = 50;

    /// <summary>Generation of an answer stops once its text contains this (MeZO stops answers at a line break).</summary>
    public string StopText { get; init; } = "\n";

    /// <summary>Sequences advanced together per forward pass.</summary>
    public int BatchSize { get; init; } = 8;
}

/// <summary>Greedy decoding through an <see cref="IGreedyDecoder"/>: one forward pass per generated token per batch.</summary>
public static class GreedyDecoding
{
    /// <summary>The generated continuation of each prompt (the stop text and anything after it removed, trimmed).</summary>
    public static IReadOnlyList<string> Generate(IGreedyDecoder decoder, TrainingGraphSession session, IReadOnlyList<string> prompts, GenerationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(prompts);
        options ??= new GenerationOptions();
        var answers = new string[prompts.Count];
        for (int start = 0; start < prompts.Count; start += options.BatchSize)
        {
            int n = Math.Min(options.BatchSize, prompts.Count - start);
            var sequences = new List<List<int>>(n);
            var generated = new List<List<int>>(n);
            var done = new bool[n];
            for (int i = 0; i < n; i++)
            {
                sequences.Add([.. decoder.Encode(prompts[start + i])]);
                generated.Add([]);
            }
            for (int t = 0; t < options.MaxNewTokens && done.Contains(false); t++)
            {
                var active = Enumerable.Range(0, n).Where(i => !done[i]).ToList();
                var next = decoder.NextTokens(session, active.Select(i => (IReadOnlyList<int>)sequences[i]).ToList());
                for (int k = 0; k < active.Count; k++)
                {
                    int i = active[k];
                    if (decoder.StopTokens.Contains(next[k]))
                    {
                        done[i] = true;
                        continue;
                    }
                    sequences[i].Add(next[k]);
                    generated[i].Add(next[k]);
                    if (options.StopText.Length > 0 && decoder.Decode(generated[i]).Contains(options.StopText, StringComparison.Ordinal)) done[i] = true;
                }
            }
            for (int i = 0; i < n; i++) answers[start + i] = Cut(decoder.Decode(generated[i]), options.StopText);
        }
        return answers;
    }

    private static string Cut(string text, string stop)
    {
        int at = stop.Length > 0 ? text.IndexOf(stop, StringComparison.Ordinal) : -1;
        return (at >= 0 ? text[..at] : text).Trim();
    }
}
