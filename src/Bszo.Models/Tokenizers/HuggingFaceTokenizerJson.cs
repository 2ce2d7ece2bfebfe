using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;

namespace Bszo.Models.Tokenizers;

/// <summary>
/// Reads the byte-level BPE model out of a Hugging Face <c>tokenizer.json</c> as the vocab.json and
/// merges.txt bytes that <c>CodeGenTokenizer</c> takes.
/// </summary>
internal static class HuggingFaceTokenizerJson
{
    public static (byte[] Vocab, byte[] Merges) ReadByteLevelBpe(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            root = Throw.Bszo<JsonNode?>(e, $"'{path}' is not valid JSON.", "a Hugging Face tokenizer.json", e.Message);
        }
        var model = root?["model"];
        var type = (string?)model?["type"];
        if (type != "BPE" || model?["vocab"] is not JsonObject vocab || model["merges"] is not JsonArray merges)
        {
            return Throw.Bszo<(byte[] Vocab, byte[] Merges)>($"'{path}' does not hold a BPE model.", "model.type \"BPE\" with vocab and merges",
                type ?? "no model", "only byte-level BPE tokenizer.json files are read; export WordPiece or SentencePiece tokenizers as vocab.txt / tokenizer.model.");
        }
        var text = new StringBuilder("#version: 0.2\n");
        foreach (var merge in merges)
        {
            // Older files store "a b", newer ones ["a", "b"].
            text.Append(merge is JsonArray pair ? $"{(string?)pair[0]} {(string?)pair[1]}" : (string?)merge).Append('\n');
        }
        return (Encoding.UTF8.GetBytes(vocab.ToJsonString()), Encoding.UTF8.GetBytes(text.ToString()));
    }
}
