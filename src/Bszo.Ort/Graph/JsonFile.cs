using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bszo.Ort.Graph;

/// <summary>Reads the small JSON files Bszo writes (pointers, markers, configurations), naming the file when one was damaged or edited.</summary>
public static class JsonFile
{
    /// <summary>The JSON object in <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="hint">What the user can do when the file is missing or damaged.</param>
    public static JsonObject ReadObject(string path, string hint)
    {
        if (!File.Exists(path)) Throw.Bszo($"'{path}' does not exist.", "a file Bszo wrote", "no such file", hint);
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? Throw.Bszo<JsonObject>($"'{path}' does not hold a JSON object.", hint: hint);
        }
        catch (JsonException e)
        {
            throw new BszoException(BszoException.Format($"'{path}' is damaged: it is not valid JSON.", "the JSON Bszo wrote", e.Message, hint), e);
        }
    }

    /// <summary>The string property <paramref name="name"/> of <paramref name="json"/> read from <paramref name="path"/>; null when absent or JSON null.</summary>
    public static string? String(JsonObject json, string name, string path, string hint) => Value<string>(json, name, path, hint);

    /// <summary>The integer property <paramref name="name"/>; null when absent or JSON null.</summary>
    public static long? Long(JsonObject json, string name, string path, string hint) =>
        json[name] is null ? null : Value<long>(json, name, path, hint);

    private static T? Value<T>(JsonObject json, string name, string path, string hint)
    {
        ArgumentNullException.ThrowIfNull(json);
        var node = json[name];
        if (node is null) return default;
        try
        {
            return node.GetValue<T>();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new BszoException(BszoException.Format($"'{path}' has a malformed \"{name}\".", typeof(T) == typeof(string) ? "a string" : "a number", node.ToJsonString(), hint), e);
        }
    }
}
