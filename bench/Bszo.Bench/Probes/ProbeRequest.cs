using System.Text.Json;

namespace Bszo.Bench.Probes;

/// <summary>What a child process measures: written by the suite as JSON, read by <c>Bszo.Bench probe</c>.</summary>
public sealed record ProbeRequest
{
    /// <summary>"inference", "train" or "speed".</summary>
    public required string Kind { get; init; }

    /// <summary>The benchmark model's name (for labels only).</summary>
    public required string Model { get; init; }

    /// <summary>The model directory (card, original model.onnx).</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>The batch written by <see cref="Setup.BatchFiles"/>.</summary>
    public required string BatchDirectory { get; init; }

    /// <summary>The prepared training model ("train" and "speed").</summary>
    public string? PreparedDirectory { get; init; }

    /// <summary>
    /// "speed" on prompt workloads: the same model prepared with the LM head over every position,
    /// measured beside <see cref="PreparedDirectory"/> in the same rounds.
    /// </summary>
    public string? FullHeadPreparedDirectory { get; init; }

    /// <summary>"train": the configuration's name in the reports (default: bszo-&lt;optimizer&gt;).</summary>
    public string? Label { get; init; }

    /// <summary>Whether the model is a decoder (next-token loss) rather than a classifier.</summary>
    public bool Decoder { get; init; }

    /// <summary>
    /// Optimizer names from the catalog: one for "train", several for "speed"; a name ending in
    /// <see cref="RademacherSuffix"/> runs that optimizer with Rademacher directions.
    /// </summary>
    public IReadOnlyList<string> Optimizers { get; init; } = [];

    /// <summary>Measured steps ("train"), forward passes ("inference") or rounds ("speed").</summary>
    public int Steps { get; init; } = 3;

    /// <summary>Unmeasured steps, passes or rounds first (JIT, arena growth, first-touch page faults).</summary>
    public int Warmup { get; init; } = 1;

    /// <summary>Execution device: "cpu", or "cuda[:N]" (weights on the GPU, swept there by the updater graph).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>ONNX Runtime intra-op threads, sweep threads and copy threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Resident-memory sampling interval in milliseconds (0: no time series).</summary>
    public int SampleMilliseconds { get; init; }

    /// <summary>Bytes per buffer of the memory-copy roofline ("speed").</summary>
    public long CopyBytes { get; init; } = 256L << 20;

    /// <summary>Marks an optimizer name as run with Rademacher directions, e.g. "bszo+rademacher".</summary>
    public const string RademacherSuffix = "+rademacher";

    /// <summary>The catalog name and noise of an optimizer entry.</summary>
    public static (string Optimizer, Bszo.Ort.Perturbation.NoiseKind Noise) Parse(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.EndsWith(RademacherSuffix, StringComparison.Ordinal)
            ? (entry[..^RademacherSuffix.Length], Bszo.Ort.Perturbation.NoiseKind.Rademacher)
            : (entry, Bszo.Ort.Perturbation.NoiseKind.Gaussian);
    }

    internal static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static ProbeRequest Load(string path) =>
        JsonSerializer.Deserialize<ProbeRequest>(File.ReadAllText(path), Json) ?? Throw.Bszo<ProbeRequest>($"'{path}' holds no probe request.");
}
