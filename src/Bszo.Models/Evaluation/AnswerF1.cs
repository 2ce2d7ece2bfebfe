using System.Text;

namespace Bszo.Models.Evaluation;

/// <summary>
/// SQuAD's answer metrics (Rajpurkar et al., 2016; official v1.1 evaluation script): answers are
/// normalised (lower case, ASCII punctuation removed, the articles a/an/the removed, whitespace
/// collapsed), then compared token by token.
/// </summary>
public static class AnswerF1
{
    /// <summary>The normalised answer.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lower = text.ToLowerInvariant();
        var noPunctuation = new StringBuilder(lower.Length);
        foreach (char c in lower) if (!IsAsciiPunctuation(c)) noPunctuation.Append(c);
        var words = noPunctuation.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w is not ("a" or "an" or "the"));
        return string.Join(' ', words);
    }

    /// <summary>Token-level F1 between a prediction and one gold answer (0 when they share no token).</summary>
    public static double F1(string prediction, string gold)
    {
        var predicted = Tokens(prediction);
        var truth = Tokens(gold);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in truth) counts[t] = counts.GetValueOrDefault(t) + 1;
        int same = 0;
        foreach (var t in predicted)
        {
            if (counts.TryGetValue(t, out var n) && n > 0)
            {
                counts[t] = n - 1;
                same++;
            }
        }
        if (same == 0) return 0;
        double precision = (double)same / predicted.Length;
        double recall = (double)same / truth.Length;
        return 2 * precision * recall / (precision + recall);
    }

    /// <summary>The best F1 over all gold answers.</summary>
    public static double MaxF1(string prediction, IEnumerable<string> golds) => golds.Select(g => F1(prediction, g)).DefaultIfEmpty(0).Max();

    /// <summary>1 when the normalised prediction equals a normalised gold answer, else 0.</summary>
    public static double ExactMatch(string prediction, IEnumerable<string> golds) =>
        golds.Any(g => Normalize(prediction) == Normalize(g)) ? 1 : 0;

    private static string[] Tokens(string text) => Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static bool IsAsciiPunctuation(char c) => c is >= '!' and <= '/' or >= ':' and <= '@' or >= '[' and <= '`' or >= '{' and <= '~';
}
