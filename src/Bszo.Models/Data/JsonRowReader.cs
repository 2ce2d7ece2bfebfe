using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;

namespace Bszo.Models.Data;

/// <summary>JSON Lines (one object per line) and JSON arrays of objects.</summary>
internal static class JsonRowReader
{
    private static readonly JsonDocumentOptions Options = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    public static IReadOnlyList<DataRow> Read(string path, DataFormat format)
    {
        var text = File.ReadAllText(path, Encoding.UTF8); // strips a BOM
        // A ".json" file may hold JSON Lines too; the first non-blank character decides.
        var first = text.AsSpan().TrimStart();
        if (format == DataFormat.Json && !first.IsEmpty && first[0] == '[') return ReadArray(path, text);
        return ReadLines(path, text);
    }

    private static List<DataRow> ReadLines(string path, string text)
    {
        var rows = new List<DataRow>();
        long line = 0;
        using var reader = new StringReader(text);
        for (string? current = reader.ReadLine(); current is not null; current = reader.ReadLine())
        {
            line++;
            if (string.IsNullOrWhiteSpace(current)) continue;
            JsonNode? node = null;
            try
            {
                node = JsonNode.Parse(current, documentOptions: Options);
            }
            catch (JsonException e)
            {
                Malformed(path, line, "a JSON object", e.Message);
            }
            if (node is JsonObject obj) rows.Add(new DataRow(obj, path, line));
            else Malformed(path, line, "a JSON object", node?.GetValueKind().ToString() ?? "null");
        }
        return rows;
    }

    private static List<DataRow> ReadArray(string path, string text)
    {
        // Parse with a reader to know the line each element starts on.
        var bytes = Encoding.UTF8.GetBytes(text);
        var lineStarts = LineStarts(bytes);
        var rows = new List<DataRow>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) Malformed(path, 1, "a JSON array of objects", "something else");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                long line = LineOf(lineStarts, reader.TokenStartIndex);
                if (reader.TokenType != JsonTokenType.StartObject) Malformed(path, line, "a JSON object", reader.TokenType.ToString());
                var element = JsonElement.ParseValue(ref reader);
                rows.Add(new DataRow(JsonObject.Create(element)!, path, line));
            }
        }
        catch (JsonException e)
        {
            Malformed(path, (e.LineNumber ?? 0) + 1, "valid JSON", e.Message);
        }
        return rows;
    }

    private static List<long> LineStarts(byte[] bytes)
    {
        var starts = new List<long> { 0 };
        for (int i = 0; i < bytes.Length; i++) if (bytes[i] == (byte)'\n') starts.Add(i + 1);
        return starts;
    }

    private static long LineOf(List<long> starts, long offset)
    {
        int index = starts.BinarySearch(offset);
        return (index >= 0 ? index : ~index - 1) + 1;
    }

    [DoesNotReturn]
    private static void Malformed(string path, long line, string expected, string found) =>
        Throw.Bszo($"'{path}' line {line} is malformed.", expected, found,
            "fix or remove that line; JSON Lines files hold one complete JSON object per line.");
}
