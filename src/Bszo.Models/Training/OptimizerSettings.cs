using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Bszo.Ort;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;

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

    /// <summary>
    /// The distribution of every perturbation direction: Gaussian (the published methods' choice) or
    /// Rademacher (±1 per element). The sweep draws it; written to the trajectory header only when it
    /// is not Gaussian, so the logs of Gaussian runs read as they always have.
    /// </summary>
    [JsonConverter(typeof(JsonStringEnumConverter<NoiseKind>))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public NoiseKind Noise { get; init; }

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

    /// <summary>Sweep options that draw this run's directions, on <paramref name="threads"/> threads.</summary>
    public SweepOptions ToSweepOptions(int threads) => new() { Threads = Math.Max(1, threads), Noise = Noise };

    /// <summary>Reads a noise kind as the command line and config files spell it.</summary>
    public static NoiseKind ParseNoise(string text) => text.Trim().ToLowerInvariant() switch
    {
        "gaussian" => NoiseKind.Gaussian,
        "rademacher" => NoiseKind.Rademacher,
        _ => throw new BszoException(BszoException.Format($"Unknown noise '{text}'.", "gaussian or rademacher", text,
            "--noise gaussian draws z ~ N(0, I) as the published methods do; --noise rademacher draws ±1 per element.")),
    };

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
