using System.Text.Json;
using Bszo.Models.Adapters;
using Bszo.Ort;
using Microsoft.ML.Tokenizers;

namespace Bszo.Models.Tokenizers;

/// <summary>
/// The tokenizer a model card names, built with Microsoft.ML.Tokenizers, plus the special ids the
/// card declares. <see cref="Encode"/> returns the text's own ids; collators add special tokens.
/// </summary>
/// <remarks>
/// Supported card types: "bpe" (byte-level BPE from vocab.json + merges.txt, or a Hugging Face
/// tokenizer.json holding one), "sentencepiece" (tokenizer.model) and "wordpiece" (vocab.txt, with
/// do_lower_case from an optional tokenizer_config.json, or a tokenizer.json holding one). Holds no native memory.
/// </remarks>
public sealed class CardTokenizer
{
    private readonly Func<string, IReadOnlyList<int>> _encode;

    private CardTokenizer(Tokenizer inner, Func<string, IReadOnlyList<int>> encode, TokenizerCard card)
    {
        Inner = inner;
        _encode = encode;
        BosId = card.BosId;
        EosId = card.EosId;
        PadId = card.PadId ?? card.EosId ?? 0;
    }

    /// <summary>The underlying Microsoft.ML.Tokenizers tokenizer.</summary>
    public Tokenizer Inner { get; }

    /// <summary>Prepended to every sequence when set (the card's convention).</summary>
    public int? BosId { get; }

    /// <summary>End of text; appended by encoder classifiers ([SEP], &lt;/s&gt;).</summary>
    public int? EosId { get; }

    /// <summary>Fills padded positions (always masked out).</summary>
    public int PadId { get; }

    /// <summary>The ids of <paramref name="text"/> without any special token.</summary>
    public IReadOnlyList<int> Encode(string text) => _encode(text ?? "");

    /// <summary>Creates the tokenizer described by <paramref name="card"/>.</summary>
    public static CardTokenizer Create(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var t = card.Tokenizer ?? Throw.Bszo<TokenizerCard>($"The model card in '{card.Directory}' names no tokenizer.",
            "a \"tokenizer\" entry", "none", "re-export the model with tools/export.");
        return t.Type switch
        {
            "bpe" => ByteLevelBpe(card, t),
            "sentencepiece" => SentencePiece(card, t),
            "wordpiece" => WordPiece(card, t),
            _ => Throw.Bszo<CardTokenizer>($"The model card in '{card.Directory}' names tokenizer type '{t.Type}'.",
                "bpe, sentencepiece or wordpiece", t.Type, "unigram vocabularies are read by their model's own adapter."),
        };
    }

    private static CardTokenizer ByteLevelBpe(ModelCard card, TokenizerCard t)
    {
        Tokenizer tokenizer;
        if (t.Files.TryGetValue("tokenizer", out var json))
        {
            var (vocab, merges) = HuggingFaceTokenizerJson.ReadByteLevelBpe(RequireFile(card, json));
            using var vocabStream = new MemoryStream(vocab);
            using var mergesStream = new MemoryStream(merges);
            tokenizer = CodeGenTokenizer.Create(vocabStream, mergesStream, t.AddPrefixSpace, false, false);
        }
        else
        {
            using var vocab = File.OpenRead(RequireFile(card, FileFor(card, t, "vocab")));
            using var merges = File.OpenRead(RequireFile(card, FileFor(card, t, "merges")));
            tokenizer = CodeGenTokenizer.Create(vocab, merges, t.AddPrefixSpace, false, false);
        }
        return new CardTokenizer(tokenizer, text => tokenizer.EncodeToIds(text), t);
    }

    private static CardTokenizer SentencePiece(ModelCard card, TokenizerCard t)
    {
        using var model = File.OpenRead(RequireFile(card, FileFor(card, t, "model")));
        var tokenizer = LlamaTokenizer.Create(model, addBeginOfSentence: false, addEndOfSentence: false);
        return new CardTokenizer(tokenizer, text => tokenizer.EncodeToIds(text), t);
    }

    private static CardTokenizer WordPiece(ModelCard card, TokenizerCard t)
    {
        byte[] vocab;
        bool lower = true;
        bool? stripAccents = null;
        if (t.Files.TryGetValue("tokenizer", out var json))
        {
            (vocab, lower) = HuggingFaceTokenizerJson.ReadWordPiece(RequireFile(card, json));
        }
        else
        {
            vocab = File.ReadAllBytes(RequireFile(card, FileFor(card, t, "vocab")));
            if (t.Files.TryGetValue("config", out var config))
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(RequireFile(card, config)));
                if (doc.RootElement.TryGetProperty("do_lower_case", out var flag)) lower = flag.GetBoolean();
                if (doc.RootElement.TryGetProperty("strip_accents", out var strip) && strip.ValueKind is JsonValueKind.True or JsonValueKind.False) stripAccents = strip.GetBoolean();
            }
        }
        using var stream = new MemoryStream(vocab);
        // BERT strips accents whenever it lowercases, unless the tokenizer's config says otherwise.
        var tokenizer = BertTokenizer.Create(stream, new BertOptions
        {
            Normalizer = new BertTextNormalizer(lower, stripAccents ?? lower),
            PreTokenizer = BertPreTokenizer.Instance,
        });
        return new CardTokenizer(tokenizer, text => tokenizer.EncodeToIds(text, addSpecialTokens: false), t);
    }

    private static string FileFor(ModelCard card, TokenizerCard t, string role) =>
        t.Files.TryGetValue(role, out var file) ? file
            : Throw.Bszo<string>($"The {t.Type} tokenizer in '{card.Directory}' names no '{role}' file.",
                $"tokenizer.files.{role}", string.Join(", ", t.Files.Keys), "re-export the model with tools/export.");

    private static string RequireFile(ModelCard card, string relative)
    {
        var path = card.Resolve(relative);
        if (!File.Exists(path))
        {
            Throw.Bszo($"Tokenizer file '{path}' does not exist.", $"{relative} next to the model card",
                "no such file", "copy the tokenizer files together with the model.");
        }
        return path;
    }
}
