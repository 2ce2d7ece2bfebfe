using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Models.Training;
using Bszo.Ort;
using Bszo.Ort.Graph;

namespace Bszo.Cli;

/// <summary>
/// <c>config.json</c>: the resolved options of a run (everything needed to rebuild its task, data
/// and optimizer), what they resolved to, and the versions of Bszo and the packages it ran with
/// (results shift with library versions, so they are recorded with every run).
/// </summary>
internal static class RunConfig
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a file for people: keep quotes and non-ASCII readable
    };

    /// <summary>JSON settings for printing configuration values on one line.</summary>
    public static JsonSerializerOptions Readable { get; } = new(Json) { WriteIndented = false };

    /// <summary>The configuration document.</summary>
    public static JsonObject Build(FinetuneSettings settings, JsonObject resolved) => new()
    {
        ["format"] = "bszo-run/1",
        ["created"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        ["options"] = JsonSerializer.SerializeToNode(settings, Json),
        ["resolved"] = resolved,
        ["versions"] = Versions(),
    };

    /// <summary>Writes the document atomically.</summary>
    public static void Save(string path, JsonObject config) => AtomicFile.WriteAllText(path, config.ToJsonString(Json));

    /// <summary>The options a run was started with.</summary>
    public static FinetuneSettings LoadSettings(RunDirectory run)
    {
        var options = Load(run)["options"];
        try
        {
            return options?.Deserialize<FinetuneSettings>(Json) ?? throw new BszoException(BszoException.Format($"'{run.Config}' has no \"options\".", hint: DamagedHint));
        }
        catch (JsonException e)
        {
            throw new BszoException(BszoException.Format($"'{run.Config}' has malformed options.", "the options `bszo finetune` wrote", e.Message, DamagedHint), e);
        }
    }

    /// <summary>
    /// <paramref name="settings"/> as JSON, as config.json holds them: what a cluster run hands its
    /// workers so that they load the model, the task and the data as this process did.
    /// </summary>
    public static string SettingsJson(FinetuneSettings settings) => JsonSerializer.Serialize(settings, Readable);

    /// <summary>Settings written by <see cref="SettingsJson"/>.</summary>
    public static FinetuneSettings ReadSettings(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<FinetuneSettings>(json, Json) ?? Throw.Bszo<FinetuneSettings>($"The run settings from {source} are empty.");
        }
        catch (JsonException e)
        {
            return Throw.Bszo<FinetuneSettings>(e, $"The run settings from {source} cannot be read.", "the settings `bszo finetune` writes", e.Message,
                "run the same version of Bszo on every machine of the run.");
        }
    }

    /// <summary>The prepared model directory a run used.</summary>
    public static string PreparedDirectory(RunDirectory run) =>
        JsonFile.String(Load(run)["resolved"] as JsonObject ?? [], "prepared", run.Config, DamagedHint) ?? run.Prepared;

    /// <summary>The arguments a run was started with (option name → value), for --resume; null when config.json is missing.</summary>
    public static JsonObject? SavedArguments(RunDirectory run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return File.Exists(run.Config) ? Load(run)["arguments"] as JsonObject : null;
    }

    private const string DamagedHint = "the run's config.json was edited or damaged; restore it from a backup, or start a new run.";

    /// <summary>config.json as a JSON object.</summary>
    private static JsonObject Load(RunDirectory run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!File.Exists(run.Config))
        {
            throw new BszoException(BszoException.Format($"'{run.Root}' is not a run directory.", "a directory written by `bszo finetune` (with config.json)",
                Directory.Exists(run.Root) ? "no config.json" : "no such directory", "pass the --out directory of a finetune run."));
        }
        return JsonFile.ReadObject(run.Config, DamagedHint);
    }

    /// <summary>Versions of Bszo, the runtime and the packages that shape results.</summary>
    public static JsonObject Versions()
    {
        var versions = new JsonObject
        {
            ["bszo"] = Version(typeof(RunConfig).Assembly),
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["onnxruntime"] = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString(),
        };
        foreach (var type in new[]
                 {
                     typeof(Microsoft.ML.OnnxRuntime.InferenceSession), typeof(Google.Protobuf.ByteString), typeof(System.Numerics.Tensors.TensorPrimitives),
                     typeof(System.CommandLine.RootCommand), typeof(Spectre.Console.AnsiConsole), typeof(ScottPlot.Plot), typeof(YamlDotNet.Serialization.Deserializer),
                     typeof(Parquet.ParquetReader), typeof(CsvHelper.CsvParser), typeof(Microsoft.ML.Tokenizers.Tokenizer),
                 })
        {
            versions[type.Assembly.GetName().Name!] = Version(type.Assembly);
        }
        return versions;
    }

    private static string Version(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return informational is null ? assembly.GetName().Version?.ToString() ?? "unknown" : informational.Split('+')[0];
    }
}
