using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;

namespace Bszo.Models.Data;

/// <summary>
/// One record of a data file: its fields as JSON values (strings for CSV/TSV, typed values for
/// JSON and Parquet), and where it came from, so that every error can name the file and line.
/// </summary>
/// <param name="Fields">Field name → value. Nested objects are reached with dotted paths.</param>
/// <param name="File">The file the row was read from.</param>
/// <param name="Line">1-based line of the row's first character (for Parquet: the row number).</param>
public sealed record DataRow(JsonObject Fields, string File, long Line)
{
    /// <summary>"file:line", for messages.</summary>
    public string Where => $"'{File}' line {Line.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The value at a dotted <paramref name="path"/> ("target.span1_text"), or null when absent.</summary>
    public JsonNode? Find(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Fields.TryGetPropertyValue(path, out var direct)) return direct;
        JsonNode? node = Fields;
        foreach (var part in path.Split('.'))
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(part, out node)) return null;
        }
        return node;
    }

    /// <summary>The field at <paramref name="path"/> as text; throws naming the file and line when it is missing.</summary>
    public string Text(string path)
    {
        var node = Find(path);
        if (node is null)
        {
            Throw.Bszo($"{Where} has no field '{path}'.",
                $"a field '{path}'", FieldList(), "check the column names (CSV/TSV header, JSON keys) or the task's template.");
        }
        return AsText(node);
    }

    /// <summary>The field at <paramref name="path"/> as a list of strings (a JSON array, or a single value).</summary>
    public IReadOnlyList<string> TextList(string path)
    {
        var node = Find(path);
        if (node is null)
        {
            Throw.Bszo($"{Where} has no field '{path}'.", $"a list field '{path}'", FieldList());
        }
        if (node is JsonArray array) return array.Select(n => n is null ? "" : AsText(n)).ToList();
        var text = AsText(node);
        // CSV cells can hold a JSON list written as text.
        if (text.StartsWith('['))
        {
            try
            {
                if (JsonNode.Parse(text) is JsonArray parsed) return parsed.Select(n => n is null ? "" : AsText(n)).ToList();
            }
            catch (JsonException)
            {
            }
        }
        return [text];
    }

    /// <summary>A value as text: strings as they are, numbers in invariant form, booleans as true/false.</summary>
    public static string AsText(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node is JsonValue value)
        {
            if (value.TryGetValue(out string? s)) return s;
            if (value.TryGetValue(out bool b)) return b ? "true" : "false";
            if (value.TryGetValue(out long l)) return l.ToString(CultureInfo.InvariantCulture);
            if (value.TryGetValue(out double d))
            {
                return d == Math.Floor(d) && Math.Abs(d) < 1e15 ? ((long)d).ToString(CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture);
            }
        }
        return node.ToJsonString();
    }

    private string FieldList() => Fields.Count == 0 ? "no fields" : "fields " + string.Join(", ", Fields.Select(f => f.Key));
}
