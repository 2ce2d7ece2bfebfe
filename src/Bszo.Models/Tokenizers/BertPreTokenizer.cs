using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Bszo.Models.Tokenizers;

/// <summary>
/// BERT's word splitting, for Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>: whitespace
/// separates words, and every punctuation character is a word of its own, where punctuation is
/// every printable non-alphanumeric ASCII character (so <c>$ + &lt; = &gt; ^ _ ` | ~</c> too) or any
/// Unicode punctuation. The library's default keeps Unicode punctuation only and drops symbols
/// such as <c>$</c> and <c>+</c> entirely, giving ids the models were never trained on.
/// </summary>
/// <remarks>Special-token strings in text ("[CLS]") are split like any other text.</remarks>
internal static partial class BertPreTokenizer
{
    /// <summary>The pre-tokenizer (shared; it holds no state).</summary>
    public static PreTokenizer Instance { get; } = new RegexPreTokenizer(Words(), specialTokens: null);

    [GeneratedRegex(@"[^\s\p{P}\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E]+|[\p{P}\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E]")]
    private static partial Regex Words();
}
