using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Bszo.Models.Tokenizers;

/// <summary>
/// BERT's text cleaning, for Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>, as the original
/// BERT tokenizer does it: drop NUL, U+FFFD and every control or format character (category C*)
/// except tab and line breaks, which become spaces like all other whitespace; put spaces around CJK
/// ideographs; for uncased vocabularies lowercase, and strip accents by decomposing (NFD) and
/// dropping non-spacing marks (so Hangul syllables become their jamo, as in the original).
/// </summary>
/// <remarks>The library's own normalizer differs on tabs, zero-width and format characters and on Hangul.</remarks>
internal sealed class BertTextNormalizer(bool lowerCase, bool stripAccents) : Normalizer
{
    public override string Normalize(string original) => Normalize(original.AsSpan());

    public override string Normalize(ReadOnlySpan<char> original)
    {
        var text = new StringBuilder(original.Length + 8);
        foreach (var rune in original.EnumerateRunes())
        {
            int cp = rune.Value;
            var category = Rune.GetUnicodeCategory(rune);
            if (cp is 0 or 0xFFFD) continue;
            if (cp is '\t' or '\n' or '\r' || category == UnicodeCategory.SpaceSeparator) { text.Append(' '); continue; }
            if (IsOther(category)) continue;
            if (IsCjkIdeograph(cp)) { text.Append(' ').Append(rune.ToString()).Append(' '); continue; }
            text.Append(rune.ToString());
        }
        var result = text.ToString();
        if (lowerCase) result = result.ToLowerInvariant();
        if (!stripAccents) return result;
        var decomposed = result.Normalize(NormalizationForm.FormD);
        var kept = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) kept.Append(rune.ToString());
        }
        return kept.ToString();
    }

    private static bool IsOther(UnicodeCategory c) =>
        c is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    private static bool IsCjkIdeograph(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
