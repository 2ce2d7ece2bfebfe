using System.Text.Json;
using Bszo.Bench.Measure;

namespace Bszo.Bench.Probes;

/// <summary>What the speed probe measured, all in one process and interleaved round by round.</summary>
public sealed record SpeedResult
{
    public required string Model { get; init; }

    public int Threads { get; init; }

    /// <summary>Trainable elements (n): what every sweep reads and writes.</summary>
    public long Parameters { get; init; }

    public int Rounds { get; init; }

    public int Warmup { get; init; }

    /// <summary>Plain ONNX Runtime inference of the original model (ORT-owned, prepacked weights), logits fetched.</summary>
    public List<double> InferenceForwardSeconds { get; init; } = [];

    /// <summary>The same inference with ONNX Runtime's pre-packing of MatMul weights turned off (as for weights that are graph inputs).</summary>
    public List<double> InferenceNoPrepackSeconds { get; init; } = [];

    /// <summary>The same inference under Bszo's session settings (no spinning threads, no memory pattern), pre-packing on.</summary>
    public List<double> InferenceBszoSettingsSeconds { get; init; } = [];

    /// <summary>Bszo's training graph (weights bound from the store, loss head, per-example loss fetched).</summary>
    public List<double> BszoForwardSeconds { get; init; } = [];

    /// <summary>Prompt workloads: the training graph prepared with the LM head over every position.</summary>
    public List<double> FullHeadForwardSeconds { get; init; } = [];

    /// <summary>Per optimizer, per measured step.</summary>
    public List<MethodTiming> Methods { get; init; } = [];

    /// <summary>Memory-copy roofline (read + write GB/s) before and after the rounds, with <see cref="Threads"/> threads.</summary>
    public double CopyGbpsBefore { get; init; }

    public double CopyGbpsAfter { get; init; }

    public long CopyBytes { get; init; }

    public LoadAverage? LoadBefore { get; init; }

    public LoadAverage? LoadAfter { get; init; }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, ProbeRequest.Json));

    public static SpeedResult Load(string path) =>
        JsonSerializer.Deserialize<SpeedResult>(File.ReadAllText(path), ProbeRequest.Json) ?? Throw.Bszo<SpeedResult>($"'{path}' holds no speed result.");
}

/// <summary>One optimizer's measured steps.</summary>
public sealed record MethodTiming
{
    /// <summary>Catalog name, e.g. "mezo", with its variant: "mezo+rademacher", "mezo (full LM head)".</summary>
    public required string Name { get; init; }

    public int ForwardsPerStep { get; init; }

    /// <summary>Sweeps (passes over all weights) per step.</summary>
    public double SweepsPerStep { get; init; }

    /// <summary>Noise streams generated per step, summed over its sweeps.</summary>
    public double StreamsPerStep { get; init; }

    public long StateBytes { get; init; }

    public List<double> StepSeconds { get; init; } = [];

    public List<double> ForwardSeconds { get; init; } = [];

    public List<double> SweepSeconds { get; init; } = [];
}
