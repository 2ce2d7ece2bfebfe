using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;

namespace Bszo.Models.Adapters;

/// <summary>
/// The tokenizer card of a model directory without a card, from the tokenizer files it holds:
/// vocab.json + merges.txt (byte-level BPE), tokenizer.json (byte-level BPE or WordPiece),
/// tokenizer.model (SentencePiece) or vocab.txt (WordPiece), with special ids from the vocabulary or config.json.
/// </summary>
internal static class TokenizerInference
{
    /// <summary>The tokenizer of <paramref name="directory"/> and the size of its vocabulary (null when the files do not say).</summary>
    public static (TokenizerCard Card, int? VocabularySize) Infer(string directory, string family, JsonNode? config)
    {
        bool Has(string name) => File.Exists(Path.Combine(directory, name));
        int? FromConfig(string key) => config?[key] is JsonValue v && v.TryGetValue<int>(out var id) ? id : null;
        if (Has("vocab.json") && Has("merges.txt")) return ByteLevelBpe(family, config, new() { ["vocab"] = "vocab.json", ["merges"] = "merges.txt" }, Json(directory, "vocab.json") as JsonObject);
        if (Has("tokenizer.json") && !Has("vocab.txt") && !Has("tokenizer.model"))
        {
            var model = Json(directory, "tokenizer.json")?["model"];
            var type = (string?)model?["type"];
            var files = new Dictionary<string, string> { ["tokenizer"] = "tokenizer.json" };
            return type switch
            {
                "BPE" => ByteLevelBpe(family, config, files, model?["vocab"] as JsonObject),
                "WordPiece" => WordPiece(files, model?["vocab"] is JsonObject vocab ? vocab.OrderBy(p => (int?)p.Value ?? 0).Select(p => p.Key).ToArray() : []),
                _ => throw new BszoException(BszoException.Format($"'{Path.Combine(directory, "tokenizer.json")}' holds a '{type ?? "missing"}' tokenizer model.",
                    "BPE (byte-level) or WordPiece", type ?? "no model.type", "export the tokenizer as tokenizer.model (SentencePiece) or vocab.txt (WordPiece) next to the model.")),
            };
        }
        if (Has("tokenizer.model"))
        {
            return (new TokenizerCard
            {
                Type = "sentencepiece", Files = new() { ["model"] = "tokenizer.model" }, BosId = FromConfig("bos_token_id") ?? 1,
                EosId = FromConfig("eos_token_id") ?? 2, PadId = FromConfig("pad_token_id") ?? FromConfig("eos_token_id") ?? 0,
            }, FromConfig("vocab_size"));
        }
        if (Has("vocab.txt"))
        {
            var files = new Dictionary<string, string> { ["vocab"] = "vocab.txt" };
            if (Has("tokenizer_config.json")) files["config"] = "tokenizer_config.json";
            return WordPiece(files, File.ReadAllLines(Path.Combine(directory, "vocab.txt")));
        }
        throw new BszoException(BszoException.Format($"'{directory}' has no tokenizer files Bszo can read.",
            "vocab.json + merges.txt, tokenizer.json (byte-level BPE or WordPiece), tokenizer.model or vocab.txt",
            string.Join(", ", Directory.GetFiles(directory).Select(Path.GetFileName)), "copy the tokenizer files of the model next to it."));
    }

    private static (TokenizerCard, int?) ByteLevelBpe(string family, JsonNode? config, Dictionary<string, string> files, JsonObject? vocab)
    {
        int? FromConfig(string key) => config?[key] is JsonValue v && v.TryGetValue<int>(out var id) ? id : null;
        int? Lookup(string token) => vocab?[token] is JsonValue v && v.TryGetValue<int>(out var id) ? id : null;
        int? size = vocab?.Count ?? FromConfig("vocab_size");
        if (family == "roberta" || Lookup("<s>") is not null && Lookup("</s>") is not null && family != "opt")
        {
            return (new TokenizerCard { Type = "bpe", Files = files, BosId = Lookup("<s>"), EosId = Lookup("</s>"), PadId = Lookup("<pad>"), UnkId = Lookup("<unk>") }, size);
        }
        bool prependsBos = family is "opt" or "llama";
        return (new TokenizerCard
        {
            Type = "bpe", Files = files, BosId = prependsBos ? FromConfig("bos_token_id") : null, EosId = FromConfig("eos_token_id"),
            PadId = FromConfig("pad_token_id") ?? FromConfig("eos_token_id"),
        }, size);
    }

    private static (TokenizerCard, int?) WordPiece(Dictionary<string, string> files, string[] tokens)
    {
        int? Index(string token) => Array.IndexOf(tokens, token) is var i && i >= 0 ? i : null;
        return (new TokenizerCard { Type = "wordpiece", Files = files, BosId = Index("[CLS]"), EosId = Index("[SEP]"), PadId = Index("[PAD]"), UnkId = Index("[UNK]") },
            tokens.Length);
    }

    private static JsonNode? Json(string directory, string name)
    {
        var path = Path.Combine(directory, name);
        try
        {
            return JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new BszoException(BszoException.Format($"'{path}' is not valid JSON.", $"a Hugging Face {name}", e.Message,
                "copy the tokenizer files of the model again."), e);
        }
    }
}
