using System.Text.Json;
using System.Text.Json.Serialization;
using Bszo.Ort.Graph;

namespace Bszo.Models.Training;

/// <summary><c>results.json</c>: the scores and timings of a finished run.</summary>
public static class RunResults
{
    /// <summary>JSON settings shared by results and the command line's --json output.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes <paramref name="result"/> atomically.</summary>
    public static void Save(string path, TrainingResult result) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(result, Json));

    /// <summary>Reads results written by <see cref="Save"/>, or null if there are none.</summary>
    public static TrainingResult? Load(string path) => File.Exists(path) ? JsonSerializer.Deserialize<TrainingResult>(File.ReadAllText(path), Json) : null;
}
