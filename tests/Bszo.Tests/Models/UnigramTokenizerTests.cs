using System.Text;
using Bszo.Models.Tokenizers;
using Microsoft.ML.Tokenizers;

namespace Bszo.Tests.Models;

public class UnigramTokenizerTests
{
    // A small vocabulary that exercises every rule; the expected ids come from the JavaScript tokenizer
    // of @energetic-ai/embeddings run on the same vocabulary.
    private const string SyntheticVocab = """
        [["\ufffd",0],["<s>",0],["</s>",0],["\u2581",-2],["a",-3],["b",-3],["ab",-5],["\u2581a",-4],[":",null],["\u2581:",null],
         ["c",-1],["c",-6],["bc",-4],["abc",-7],["\u2581ab",-6.5]]
        """;

    private static UnigramTokenizer Synthetic() =>
        UnigramTokenizer.Create(new MemoryStream(Encoding.UTF8.GetBytes(SyntheticVocab)), new UnigramTokenizerOptions { ReservedCount = 3 });

    private static readonly Lazy<UnigramTokenizer> UseLite = new(() => UnigramTokenizer.Create(Path.Combine(UseLiteTestModel.PackageDist, "vocab.json")));

    [TestCase("a", new[] { 7 })]
    [TestCase("ab", new[] { 14 })]
    [TestCase("abc", new[] { 7, 12 }, TestName = "Best total score wins over longer pieces")]
    [TestCase("a b", new[] { 7, 3, 5 })]
    [TestCase("::", new[] { 3, 8, 8 }, TestName = "A null score counts as zero and a best of exactly zero counts as unreached")]
    [TestCase("a:b", new[] { 7, 8, 5 })]
    [TestCase("xyz", new[] { 3, 0 }, TestName = "Consecutive unknowns merge into one")]
    [TestCase("axxb", new[] { 7, 0, 5 })]
    [TestCase("cc", new[] { 3, 11, 11 }, TestName = "A duplicate piece keeps its last id")]
    [TestCase("", new int[0])]
    [TestCase(" ", new[] { 3, 3 })]
    [TestCase("ab ab", new[] { 14, 14 })]
    [TestCase("a\u00a0b", new[] { 7, 3, 5 }, TestName = "NFKC turns a no-break space into a space")]
    [TestCase("\ufb01", new[] { 3, 0 })]
    public void Synthetic_vocabulary_segments_like_the_reference(string text, int[] expected) =>
        Assert.That(Synthetic().Encode(text), Is.EqualTo(expected));

    [TestCase("Hello world!", new[] { 341, 4125, 311, 78 })]
    [TestCase("It was great.", new[] { 75, 33, 318, 6 })]
    [TestCase("a:b", new[] { 11, 57, 151 })]
    [TestCase("::", new[] { 30, 57, 57 })]
    [TestCase("\ufb01\u2460", new[] { 1480, 363 })]
    [TestCase("e\u0301", new[] { 30, 1133 })]
    [TestCase("\u65e5\u672c\u8a9e", new[] { 30, 0 })]
    [TestCase(" ", new[] { 30, 30 })]
    [TestCase("", new int[0])]
    public void Use_lite_vocabulary_gives_the_javascript_ids(string text, int[] expected) =>
        Assert.That(UseLite.Value.Encode(text), Is.EqualTo(expected));

    [Test]
    public void Works_through_the_microsoft_ml_tokenizers_api()
    {
        Tokenizer tokenizer = UseLite.Value;
        var text = "Hello world! It was great.";
        var ids = tokenizer.EncodeToIds(text);
        Assert.That(ids, Is.EqualTo(UseLite.Value.Encode(text)));
        Assert.That(tokenizer.CountTokens(text), Is.EqualTo(ids.Count));

        var tokens = tokenizer.EncodeToTokens(text, out var normalized);
        Assert.That(normalized, Is.EqualTo("\u2581Hello\u2581world!\u2581It\u2581was\u2581great."));
        Assert.That(tokens.Select(t => t.Id), Is.EqualTo(ids));
        foreach (var t in tokens) Assert.That(normalized![t.Offset], Is.EqualTo(t.Value), "offsets index the normalized text");
        Assert.That(tokenizer.Decode(ids), Is.EqualTo(text));
        Assert.That(tokenizer.EncodeToIds(text, maxTokenCount: 3, out _, out _), Has.Count.EqualTo(3));
    }

    [Test]
    public void Unknown_tokens_keep_the_text_they_cover()
    {
        var tokens = ((Tokenizer)UseLite.Value).EncodeToTokens("x \u65e5\u672c\u8a9e y", out var normalized);
        var unknown = tokens.Single(t => t.Id == 0);
        Assert.That(unknown.Value, Is.EqualTo("\u65e5\u672c\u8a9e"));
        Assert.That(normalized![unknown.Offset], Is.EqualTo("\u65e5\u672c\u8a9e"));
    }

    [Test]
    public void Rejects_a_malformed_vocabulary()
    {
        Assert.Throws<Bszo.Ort.BszoException>(() => UnigramTokenizer.Create(new MemoryStream(Encoding.UTF8.GetBytes("{\"a\": 1}"))));
        Assert.Throws<Bszo.Ort.BszoException>(() => UnigramTokenizer.Create(new MemoryStream(Encoding.UTF8.GetBytes("[[1, 2]]"))));
        Assert.Throws<Bszo.Ort.BszoException>(() => UnigramTokenizer.Create("/nonexistent/vocab.json"));
    }
}

public class UnicodeNfkcTests
{
    [TestCase("plain ASCII text, unchanged", "plain ASCII text, unchanged")]
    [TestCase("\ufb01ne", "fine")]
    [TestCase("\u2460\u00b2\u00bd", "121\u20442")]
    [TestCase("e\u0301", "\u00e9")]
    [TestCase("\u212b", "\u00c5")]
    [TestCase("a\u0302\u0323", "\u1ead", TestName = "Marks are reordered by combining class, then composed")]
    [TestCase("a\u0301\u0301", "\u00e1\u0301", TestName = "A second mark of the same class is blocked")]
    [TestCase("\u1100\u1161\u11a8", "\uac01", TestName = "Hangul jamo compose")]
    [TestCase("\uac01", "\uac01")]
    [TestCase("\uff21\uff22\uff23\uff11", "ABC1")]
    [TestCase("\uff8a\uff9d\uff76\uff78", "\u30cf\u30f3\u30ab\u30af")]
    [TestCase("\uff76\uff9e", "\u30ac", TestName = "Halfwidth voiced katakana composes")]
    [TestCase("no\u00a0break", "no break")]
    [TestCase("\u2026", "...")]
    [TestCase("\U0001D400", "A", TestName = "Astral mathematical letters decompose")]
    [TestCase("\U0001F600", "\U0001F600")]
    [TestCase("x\ud800y", "x\ud800y", TestName = "A lone surrogate passes through")]
    [TestCase("\ufb01\udc00\uff21", "fi\udc00A", TestName = "Text around a lone surrogate is normalised")]
    [TestCase("\ufb01\ufffe\uff21", "fi\ufffeA", TestName = "The noncharacter U+FFFE passes through")]
    public void Normalizes_like_unicode_nfkc(string input, string expected) =>
        Assert.That(UnicodeNfkc.Normalize(input), Is.EqualTo(expected));
}
