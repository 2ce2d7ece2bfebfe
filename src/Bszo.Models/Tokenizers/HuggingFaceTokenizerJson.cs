using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;

namespace Bszo.Models.Tokenizers;

/// <summary>
/// Reads the model out of a Hugging Face <c>tokenizer.json</c> in the form Microsoft.ML.Tokenizers
/// takes: the vocab.json and merges.txt bytes of a byte-level BPE (<c>CodeGenTokenizer</c>), or the
/// vocab.txt bytes of a WordPiece (<c>BertTokenizer</c>).
/// </summary>
internal static class HuggingFaceTokenizerJson
{
    /// <summary>The WordPiece vocabulary as vocab.txt bytes (one token per line, in id order) and whether the normalizer lowercases.</summary>
    public static (byte[] Vocab, bool LowerCase) ReadWordPiece(string path)
    {
        var root = Parse(path);
        var model = root?["model"];
        if ((string?)model?["type"] != "WordPiece" || model?["vocab"] is not JsonObject vocab || vocab.Count == 0)
        {
            throw new BszoException(BszoException.Format($"'{path}' does not hold a WordPiece model.", "model.type \"WordPiece\" with a vocab",
                (string?)model?["type"] ?? "no model", "copy the model's vocab.txt next to it instead."));
        }
        var tokens = new string[vocab.Count];
        foreach (var (token, id) in vocab)
        {
            if (id is not JsonValue v || !v.TryGetValue<int>(out var index) || index < 0 || index >= tokens.Length || tokens[index] is not null)
            {
                throw new BszoException(BszoException.Format($"'{path}' has a WordPiece vocabulary whose ids are not 0 … {tokens.Length - 1}, each once.",
                    "consecutive token ids", $"'{token}': {id?.ToJsonString() ?? "null"}", "copy the model's vocab.txt next to it instead."));
            }
            tokens[index] = token;
        }
        bool lower = root?["normalizer"]?["lowercase"] is JsonValue flag ? flag.GetValue<bool>() : true;
        return (Encoding.UTF8.GetBytes(string.Join('\n', tokens) + "\n"), lower);
    }

    public static (byte[] Vocab, byte[] Merges) ReadByteLevelBpe(string path)
    {
        var root = Parse(path);
        var model = root?["model"];
        var type = (string?)model?["type"];
        if (type != "BPE" || model?["vocab"] is not JsonObject vocab || model["merges"] is not JsonArray merges)
        {
            throw new BszoException(BszoException.Format($"'{path}' does not hold a BPE model.", "model.type \"BPE\" with vocab and merges",
                type ?? "no model", "byte-level BPE and WordPiece tokenizer.json files are read; export other tokenizers as tokenizer.model (SentencePiece) or vocab.txt (WordPiece)."));
        }
        var text = new StringBuilder("#version: 0.2\n");
        foreach (var merge in merges)
        {
            // Older files store "a b", newer ones ["a", "b"].
            text.Append(merge is JsonArray pair ? $"{(string?)pair[0]} {(string?)pair[1]}" : (string?)merge).Append('\n');
        }
        return (Encoding.UTF8.GetBytes(vocab.ToJsonString()), Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static JsonNode? Parse(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new BszoException(BszoException.Format($"'{path}' is not valid JSON.", "a Hugging Face tokenizer.json", e.Message), e);
        }
    }
}
