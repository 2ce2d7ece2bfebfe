using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// Options records as JSON: every public property in camelCase. Used for trajectory headers and run
/// specifications, and to apply <c>key=value</c> overrides from the command line to a method's defaults.
/// </summary>
public static class OptimizerOptionsJson
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>All properties of <paramref name="options"/> (of its runtime type) as a JSON object.</summary>
    public static JsonObject Describe(OptimizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return JsonSerializer.SerializeToNode(options, options.GetType(), Json)!.AsObject();
    }

    /// <summary>
    /// Returns a copy of <paramref name="options"/> with <paramref name="overrides"/> applied and
    /// validated. Keys are property names, case-insensitive, with or without dashes
    /// ("refresh-interval", "refreshInterval"); values are JSON literals (numbers, true/false) or text.
    /// </summary>
    public static OptimizerOptions Apply(OptimizerOptions options, IEnumerable<KeyValuePair<string, string>> overrides)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(overrides);
        var node = Describe(options);
        var byKey = node.Select(p => p.Key).ToDictionary(Normalize, k => k, StringComparer.Ordinal);
        var given = new Dictionary<string, string>(StringComparer.Ordinal); // property → "key=value" as the user wrote it
        foreach (var (key, value) in overrides)
        {
            if (!byKey.TryGetValue(Normalize(key), out var property))
            {
                Throw.Bszo($"Unknown optimizer option '{key}'.", string.Join(", ", node.Select(p => p.Key)), key,
                    "option names are those of the method's options record, e.g. learningRate or learning-rate.");
            }
            node[property] = ParseValue(value);
            given[property] = $"{key}={value}";
        }
        try
        {
            return Read(node, options.GetType());
        }
        catch (BszoException e) when (e.InnerException is JsonException json && given.TryGetValue(json.Path?.TrimStart('$', '.') ?? "", out var written))
        {
            // Name the override as the user wrote it, and what its option takes.
            throw new BszoException(BszoException.Format($"Optimizer option '{written}' does not have a value of the option's type.",
                Expected(options.GetType(), json.Path!.TrimStart('$', '.')), written[(written.IndexOf('=', StringComparison.Ordinal) + 1)..],
                "`bszo optimizers` lists each method's options and defaults."), json);
        }
    }

    /// <summary>Reads options of type <paramref name="type"/> written by <see cref="Describe"/>, and validates them.</summary>
    public static OptimizerOptions Read(JsonObject json, Type type)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(type);
        OptimizerOptions? result;
        try
        {
            result = (OptimizerOptions?)json.Deserialize(type, Json);
        }
        catch (JsonException e)
        {
            result = Throw.Bszo<OptimizerOptions>(e, "An optimizer option has a value of the wrong type.",
                "numbers for rates and sizes, true/false for switches", e.Message, "check the key=value overrides.");
        }
        if (result is null) Throw.Bszo("Optimizer options could not be read.");
        result.Validate();
        return result;
    }

    /// <summary>What a property of <paramref name="type"/> takes, in words, for messages.</summary>
    private static string Expected(Type type, string property)
    {
        var declared = type.GetProperties().FirstOrDefault(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name) == property)?.PropertyType;
        var value = declared is null ? null : Nullable.GetUnderlyingType(declared) ?? declared;
        if (value == typeof(double) || value == typeof(float)) return "a finite number";
        if (value == typeof(int) || value == typeof(long)) return "a whole number";
        if (value == typeof(bool)) return "true or false";
        if (value is { IsEnum: true }) return "one of " + string.Join(", ", Enum.GetNames(value).Select(JsonNamingPolicy.CamelCase.ConvertName));
        return "a value of the option's type";
    }

    /// <summary>Whether two option names mean the same option (case, dashes and underscores aside).</summary>
    public static bool SameName(string a, string b) => Normalize(a) == Normalize(b);

    /// <summary>A one-line summary such as "learningRate=1E-06 epsilon=0.001 rank=8", listing the given properties.</summary>
    public static string Summarize(OptimizerOptions options, IEnumerable<string> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var node = Describe(options);
        return string.Join(" ", properties.Where(node.ContainsKey).Select(p => $"{p}={Format(node[p])}"));
    }

    private static string Format(JsonNode? value) => value switch
    {
        null => "auto",
        JsonValue v when v.TryGetValue(out double d) => d.ToString("G6", CultureInfo.InvariantCulture),
        _ => value.ToJsonString(),
    };

    private static JsonNode? ParseValue(string value)
    {
        if (value is "null" or "auto") return null;
        try
        {
            var parsed = JsonNode.Parse(value);
            if (parsed is JsonValue) return parsed;
        }
        catch (JsonException)
        {
        }
        return JsonValue.Create(value);
    }

    private static string Normalize(string key) =>
        key.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToUpperInvariant();
}
