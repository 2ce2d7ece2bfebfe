using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;

namespace Bszo.Models.SentenceEncoders;

/// <summary>
/// How a sentence encoder's token states become one vector per text, and where that choice comes
/// from: sentence-transformers' <c>modules.json</c> and its Pooling module's <c>config.json</c> when
/// the model directory has them, else the mask-aware mean over tokens.
/// </summary>
public static class SentencePooling
{
    /// <summary>The mean of the token states the attention mask keeps (sentence-transformers' default).</summary>
    public const string Mean = "mean";

    /// <summary>The state of the first token ([CLS]).</summary>
    public const string Cls = "cls";

    /// <summary>The graph's own pooled output (e.g. BERT's tanh pooler, <c>pooler_output</c>).</summary>
    public const string Pooled = "pooled";

    /// <summary>The pooling modes, in the order help texts list them.</summary>
    public static IReadOnlyList<string> Modes { get; } = [Mean, Cls, Pooled];

    /// <summary>The pooling sentence-transformers' files in <paramref name="directory"/> ask for, and why; mean when there are none.</summary>
    public static (string Mode, string Why) FromDirectory(string directory)
    {
        var modulesPath = Path.Combine(directory, "modules.json");
        if (!File.Exists(modulesPath)) return (Mean, "the default: there is no sentence-transformers modules.json");
        var modules = Read(modulesPath) as JsonArray;
        var pooling = modules?.FirstOrDefault(m => ((string?)m?["type"])?.EndsWith(".Pooling", StringComparison.Ordinal) == true);
        if (pooling is null) return (Mean, $"the default: {modulesPath} lists no Pooling module");
        var configPath = Path.Combine(directory, (string?)pooling["path"] ?? "", "config.json");
        if (!File.Exists(configPath))
        {
            throw new BszoException(BszoException.Format($"The Pooling module listed in '{modulesPath}' has no configuration.", configPath, "no such file",
                "copy the model's 1_Pooling folder with it, or choose the pooling with --pooling mean|cls|pooled."));
        }
        var config = Read(configPath);
        var modes = (config as JsonObject ?? [])
            .Where(p => p.Key.StartsWith("pooling_mode_", StringComparison.Ordinal) && p.Value is JsonValue v && v.TryGetValue<bool>(out var on) && on)
            .Select(p => p.Key["pooling_mode_".Length..])
            .ToList();
        return modes switch
        {
            ["mean_tokens"] => (Mean, $"as {configPath} asks"),
            ["cls_token"] => (Cls, $"as {configPath} asks"),
            _ => throw new BszoException(BszoException.Format($"'{configPath}' asks for pooling Bszo does not build.",
                "exactly one of pooling_mode_mean_tokens or pooling_mode_cls_token", modes.Count == 0 ? "no pooling mode set" : string.Join(" + ", modes),
                "choose the pooling with --pooling mean|cls|pooled.")),
        };
    }

    /// <summary>Checks a --pooling value.</summary>
    public static string Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var mode = value.Trim().ToLowerInvariant();
        return Modes.Contains(mode) ? mode
            : throw new BszoException(BszoException.Format($"Unknown --pooling '{value}'.", string.Join(", ", Modes), value));
    }

    private static JsonNode? Read(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new BszoException(BszoException.Format($"'{path}' is not valid JSON.", "a sentence-transformers configuration file", e.Message), e);
        }
    }
}
