using System.Text;

namespace Bszo.Models.Tokenizers;

/// <summary>Unicode Normalization Form KC as SentencePiece-style tokenizers and JavaScript apply it.</summary>
/// <remarks>
/// <see cref="string.Normalize(NormalizationForm)"/> (ICU underneath) does the work. The one
/// difference from JavaScript's <c>String.prototype.normalize</c> is that .NET rejects ill-formed
/// UTF-16 and the noncharacter U+FFFE; real-world text does contain lone surrogates, so such
/// characters are passed through unchanged and the runs between them are normalised, which is what
/// JavaScript does.
/// </remarks>
public static class UnicodeNfkc
{
    /// <summary>Returns the NFKC form of <paramref name="text"/>.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int bad = FindRejected(text, 0);
        if (bad < 0) return text.Normalize(NormalizationForm.FormKC);

        var result = new StringBuilder(text.Length);
        int start = 0;
        while (bad >= 0)
        {
            result.Append(text.AsSpan(start, bad - start).ToString().Normalize(NormalizationForm.FormKC));
            result.Append(text[bad]);
            start = bad + 1;
            bad = FindRejected(text, start);
        }
        result.Append(text[start..].Normalize(NormalizationForm.FormKC));
        return result.ToString();
    }

    private static int FindRejected(string text, int from)
    {
        for (int i = from; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\uFFFE') return i;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
                else return i;
            }
            else if (char.IsLowSurrogate(c))
            {
                return i;
            }
        }
        return -1;
    }
}
