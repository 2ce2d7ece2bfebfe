using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Bszo.Cli;

/// <summary>
/// Options from a JSON or YAML file (<c>--config run.yaml</c>). Keys are option names without the
/// dashes (<c>learning-rate</c>; <c>learning_rate</c> and <c>learningRate</c> work too), values
/// are what the option takes (lists for repeatable options; an object for <c>verbalizer</c>).
/// An option given on the command line overrides the file.
/// </summary>
internal static class ConfigFile
{
    /// <summary>The name of the option that names a config file.</summary>
    public const string OptionName = "--config";

    /// <summary>Parses <paramref name="args"/>; when they name a config file, adds its entries for options not given on the command line.</summary>
    public static ParseResult ParseWithConfig(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0) return parsed;
        var command = parsed.CommandResult.Command;
        var configOption = command.Options.FirstOrDefault(o => o.Name == OptionName);
        if (configOption is null || parsed.GetResult(configOption) is null) return parsed;
        var path = parsed.GetValue<string>(OptionName);
        if (string.IsNullOrWhiteSpace(path)) return parsed;
        return MergeDefaults(root, parsed, Load(path), $"Config file '{path}'");
    }

    /// <summary>
    /// Re-parses with <paramref name="entries"/> (option name → value) supplying the options that
    /// <paramref name="parsed"/> did not get explicitly. Used for config files and for the saved
    /// arguments of a run being resumed.
    /// </summary>
    public static ParseResult MergeDefaults(RootCommand root, ParseResult parsed, List<(string Key, JsonNode? Value)> entries, string source)
    {
        var command = parsed.CommandResult.Command;
        var path = source;
        var tokens = new List<string>();
        foreach (var (key, value) in entries)
        {
            var option = Find(command, key) ?? Throw.Bszo<Option>($"{path} has an unknown key '{key}'.",
                "option names of `bszo " + command.Name + "` without dashes", key,
                "valid keys: " + string.Join(", ", command.Options.Where(o => o.Name != OptionName && !o.Name.StartsWith("--help", StringComparison.Ordinal))
                    .Select(o => o.Name.TrimStart('-'))));
            if (option.Name == OptionName) continue;
            if (parsed.GetResult(option) is { Implicit: false }) continue; // the command line wins
            tokens.AddRange(Tokens(option, value));
        }
        var merged = root.Parse([.. parsed.Tokens.Select(t => t.Value), .. tokens]);
        if (merged.Errors.Count > 0)
        {
            throw new BszoException(BszoException.Format($"{path} has values the options do not accept.",
                "values the options accept", string.Join("; ", merged.Errors.Select(e => ParseErrors.Plain(e.Message))), "`bszo " + command.Name + " --help` lists the options and their values."));
        }
        return merged;
    }

    /// <summary>The entries of a JSON or YAML file, in file order.</summary>
    public static List<(string Key, JsonNode? Value)> Load(string path)
    {
        if (!File.Exists(path))
        {
            Throw.Bszo($"Config file '{path}' does not exist.", "a .json, .yaml or .yml file", "no such file");
        }
        var text = File.ReadAllText(path);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        JsonNode? root;
        try
        {
            root = extension is ".yaml" or ".yml" ? FromYaml(new DeserializerBuilder().Build().Deserialize(new StringReader(text))) : JsonNode.Parse(text);
        }
        catch (Exception e) when (e is JsonException or YamlException)
        {
            root = Throw.Bszo<JsonNode?>(e, $"Config file '{path}' cannot be parsed.", extension is ".yaml" or ".yml" ? "YAML" : "JSON", e.Message);
        }
        if (root is not JsonObject obj)
        {
            return Throw.Bszo<List<(string Key, JsonNode? Value)>>($"Config file '{path}' must hold a mapping of option names to values.",
                "key: value pairs, e.g. task: sst2", root?.GetValueKind().ToString() ?? "nothing");
        }
        return obj.Select(p => (p.Key, p.Value)).ToList();
    }

    private static Option? Find(Command command, string key)
    {
        var wanted = Normalize(key);
        return command.Options.FirstOrDefault(o => Normalize(o.Name) == wanted || o.Aliases.Any(a => Normalize(a) == wanted));
    }

    private static List<string> Tokens(Option option, JsonNode? value)
    {
        var tokens = new List<string>();
        if (value is null) return tokens;
        List<JsonNode?> items = value is JsonArray array ? [.. array] : [value];
        foreach (var item in items)
        {
            if (item is null) continue;
            tokens.Add(option.Name);
            tokens.Add(item switch
            {
                JsonObject or JsonArray => item.ToJsonString(),
                JsonValue v when v.TryGetValue(out string? s) => s,
                _ => item.ToJsonString(),
            });
        }
        return tokens;
    }

    private static string Normalize(string name) =>
        name.TrimStart('-').Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    private static JsonNode? FromYaml(object? value) => value switch
    {
        null => null,
        IDictionary<object, object> map => new JsonObject(map.Select(p => KeyValuePair.Create(Convert.ToString(p.Key, CultureInfo.InvariantCulture)!, FromYaml(p.Value)))),
        IList<object> list => new JsonArray(list.Select(FromYaml).ToArray()),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };
}
