using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;
using Bszo.Ort.Optimizers;

namespace Bszo.Models.Training;

/// <summary>
/// Optimizer settings as the command line and config files give them, independent of the method.
/// Stored in the trajectory header, so a run can be replayed from its log alone.
/// </summary>
public sealed record OptimizerSettings
{
    /// <summary>Base learning rate η; null: the method's published default.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Perturbation scale ε; null: the method's published default.</summary>
    public double? Epsilon { get; init; }

    /// <summary>Decoupled weight decay (tensors whose names contain neither "bias" nor "norm").</summary>
    public double WeightDecay { get; init; }

    /// <summary>Run seed: every step's perturbation seeds derive from it.</summary>
    public ulong Seed { get; init; }

    /// <summary>Steps of the run (for decaying schedules).</summary>
    public long TotalSteps { get; init; } = 1000;

    /// <summary>"constant", "linear" or "cosine".</summary>
    public string Schedule { get; init; } = "constant";

    /// <summary>Linear warm-up steps.</summary>
    public long WarmupSteps { get; init; }

    /// <summary>Clip projected gradients to [−c, c], if set.</summary>
    public double? ClipProjectedGradient { get; init; }

    /// <summary>Method-specific options ("directions=2", "rank=8"), by name.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The settings as JSON.</summary>
    public JsonObject ToJson() => JsonSerializer.SerializeToNode(this, Json)!.AsObject();

    /// <summary>Reads settings written by <see cref="ToJson"/>.</summary>
    public static OptimizerSettings FromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return json.Deserialize<OptimizerSettings>(Json) ?? new OptimizerSettings();
    }

    /// <summary>The learning-rate schedule.</summary>
    public LearningRateSchedule ToSchedule()
    {
        var kind = Schedule.Trim().ToLowerInvariant() switch
        {
            "constant" => ScheduleKind.Constant,
            "linear" => ScheduleKind.Linear,
            "cosine" => ScheduleKind.Cosine,
            _ => throw new BszoException(BszoException.Format($"Unknown learning-rate schedule '{Schedule}'.", "constant, linear or cosine", Schedule)),
        };
        return new LearningRateSchedule(kind, WarmupSteps);
    }

    /// <summary>An integer method option, or its default.</summary>
    public int ExtraInt(string name, int fallback)
    {
        if (!Extra.TryGetValue(name, out var text)) return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new BszoException(BszoException.Format($"Optimizer option '{name}' is not an integer.", "an integer", text));
    }

    /// <summary>A boolean method option, or its default.</summary>
    public bool ExtraBool(string name, bool fallback)
    {
        if (!Extra.TryGetValue(name, out var text)) return fallback;
        return bool.TryParse(text, out var value) ? value : throw new BszoException(BszoException.Format($"Optimizer option '{name}' is not true/false.", "true or false", text));
    }
}
