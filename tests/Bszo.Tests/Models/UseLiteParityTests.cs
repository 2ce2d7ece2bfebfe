using System.Text.Json;
using Bszo.Models.Tokenizers;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

/// <summary>
/// The ONNX port of Universal Sentence Encoder Lite against the original TensorFlow.js model
/// (tools/node/use-lite-oracle.js): identical token ids, and embeddings within 1e-4 when run through
/// the prepared training graph (weights as graph inputs) in padded batches.
/// </summary>
public class UseLiteParityTests
{
    private sealed record Oracle(string[] Sentences, int[][] Tokens, float[][] Embeddings, string[] Nfkc, string Unicode);

    private static readonly Lazy<Oracle> Reference = new(LoadOracle);

    private static string SentencesPath => Path.Combine(TestContext.CurrentContext.TestDirectory, "Models", "Data", "use-lite-parity-sentences.json");

    private static Oracle LoadOracle()
    {
        var output = NodeOracle.RunCached("use-lite-oracle.js", [SentencesPath], [SentencesPath], "use-lite-oracle");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(output));
        var root = doc.RootElement;
        var sentences = JsonSerializer.Deserialize<string[]>(File.ReadAllText(SentencesPath))!;
        return new Oracle(
            sentences,
            root.GetProperty("tokens").EnumerateArray().Select(t => t.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray(),
            root.GetProperty("embeddings").EnumerateArray().Select(e => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray(),
            root.GetProperty("nfkc").EnumerateArray().Select(s => s.GetString()!).ToArray(),
            root.GetProperty("unicode").GetString()!);
    }

    [Test]
    public void The_sentence_list_is_varied_enough()
    {
        var sentences = JsonSerializer.Deserialize<string[]>(File.ReadAllText(SentencesPath))!;
        var tokenizer = UseLiteTestModel.Instance.Adapter.Tokenizer;
        var lengths = sentences.Select(s => tokenizer.EncodeToIds(s).Count).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(sentences, Has.Length.GreaterThanOrEqualTo(200));
            Assert.That(lengths.Count(l => l == 0), Is.GreaterThanOrEqualTo(1), "an empty sentence");
            Assert.That(lengths.Count(l => l > 128), Is.GreaterThanOrEqualTo(5), "sentences beyond the 128-token limit");
            Assert.That(sentences.Count(s => s.Any(c => c > 0x7F)), Is.GreaterThanOrEqualTo(30), "non-ASCII sentences");
        });
    }

    [Test]
    public void Token_ids_match_the_javascript_tokenizer()
    {
        var oracle = Reference.Value;
        var tokenizer = (UnigramTokenizer)UseLiteTestModel.Instance.Adapter.Tokenizer;
        var mismatches = new List<string>();
        for (int i = 0; i < oracle.Sentences.Length; i++)
        {
            var ids = tokenizer.Encode(oracle.Sentences[i]);
            if (!ids.SequenceEqual(oracle.Tokens[i]))
            {
                mismatches.Add($"#{i} {JsonSerializer.Serialize(oracle.Sentences[i])}: C# [{string.Join(",", ids)}] vs JS [{string.Join(",", oracle.Tokens[i])}]");
            }
        }
        Assert.That(mismatches, Is.Empty, string.Join("\n", mismatches.Take(20)));
    }

    [Test]
    public void Nfkc_matches_javascript_on_the_sentences()
    {
        var oracle = Reference.Value;
        for (int i = 0; i < oracle.Sentences.Length; i++)
        {
            Assert.That(UnicodeNfkc.Normalize(oracle.Sentences[i]), Is.EqualTo(oracle.Nfkc[i]), $"sentence #{i} {JsonSerializer.Serialize(oracle.Sentences[i])}");
        }
    }

    [Test]
    public void Embeddings_match_the_tensorflow_js_model_through_the_training_graph()
    {
        var oracle = Reference.Value;
        var model = UseLiteTestModel.Instance;
        // Shuffled batches of 16, so short and long sentences share batches and padding is exercised.
        var order = Enumerable.Range(0, oracle.Sentences.Length).OrderBy(i => (i * 7919) % 241).ToArray();
        double worst = 0;
        int worstIndex = -1;
        for (int b = 0; b < order.Length; b += 16)
        {
            var idx = order.Skip(b).Take(16).ToArray();
            var rows = model.Run(idx.Select(i => oracle.Sentences[i]).ToList(), "embedding");
            for (int k = 0; k < idx.Length; k++)
            {
                var expected = oracle.Embeddings[idx[k]];
                Assert.That(rows[k], Has.Length.EqualTo(expected.Length));
                for (int j = 0; j < expected.Length; j++)
                {
                    double d = Math.Abs(rows[k][j] - expected[j]);
                    if (d > worst)
                    {
                        worst = d;
                        worstIndex = idx[k];
                    }
                }
            }
        }
        TestContext.Out.WriteLine($"max |ONNX - TF.js| over {oracle.Sentences.Length} sentences × 512: {worst:E2} (sentence #{worstIndex})");
        Assert.That(worst, Is.LessThanOrEqualTo(1e-4), $"sentence #{worstIndex} {JsonSerializer.Serialize(oracle.Sentences[Math.Max(worstIndex, 0)])}");
    }

    [Test]
    public void Nfkc_matches_javascript_on_every_code_point()
    {
        var output = NodeOracle.RunCached("use-lite-oracle.js", ["--nfkc-sweep"], [], "nfkc-sweep");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(output));
        var changed = doc.RootElement.GetProperty("changed").EnumerateArray()
            .ToDictionary(e => e[0].GetInt32(), e => e[1].GetString()!);
        var mismatches = new List<string>();
        int newer = 0;
        for (int cp = 0; cp <= 0x10FFFF; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            var s = char.ConvertFromUtf32(cp);
            var expected = changed.GetValueOrDefault(cp, s);
            var actual = UnicodeNfkc.Normalize(s);
            if (actual == expected) continue;
            if (AddedAfterUnicode15(cp)) newer++;
            else mismatches.Add($"U+{cp:X4}: C# {Hex(actual)} vs JS {Hex(expected)}");
        }
        TestContext.Out.WriteLine($"node: Unicode {doc.RootElement.GetProperty("unicode").GetString()}; " +
                                  $"{newer} code points assigned after Unicode 15 differ");
        Assert.That(mismatches, Is.Empty);
    }

    /// <summary>
    /// Code points that gained a compatibility decomposition after Unicode 15 (the ICU of Debian 12;
    /// Node.js bundles a newer ICU): U+A7F1 MODIFIER LETTER CAPITAL S (17.0) and the outlined Latin
    /// letters and digits U+1CCD6–U+1CCF9 (16.0). The older ICU leaves them unchanged.
    /// </summary>
    private static bool AddedAfterUnicode15(int cp) => cp == 0xA7F1 || cp is >= 0x1CCD6 and <= 0x1CCF9;

    private static string Hex(string s) => string.Join(" ", s.EnumerateRunes().Select(r => $"{r.Value:X4}"));
}
