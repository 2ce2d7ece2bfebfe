using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;
using Bszo.Ort.Graph;

namespace Bszo.Models.Training;

/// <summary>A complete checkpoint on disk.</summary>
/// <param name="Step">Steps completed when it was written.</param>
/// <param name="Directory">Its directory.</param>
public sealed record CheckpointInfo(long Step, string Directory)
{
    /// <summary>The weight manifest (its data file is <c>weights.bin</c> beside it).</summary>
    public WeightManifest Manifest => WeightManifest.Load(Path.Combine(Directory, WeightManifest.FileName));

    /// <summary>Path of the fp32 weights.</summary>
    public string WeightsPath => Path.Combine(Directory, "weights.bin");

    /// <summary>The trainer state.</summary>
    public TrainerState Trainer =>
        JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(Directory, "trainer.json")), TrainerState.Json)
        ?? Throw.Bszo<TrainerState>($"'{Directory}/trainer.json' is empty.", hint: "delete this checkpoint; an older one will be used.");

    /// <summary>The optimizer state (null for best-weight snapshots, which carry none).</summary>
    public JsonObject? Optimizer =>
        File.Exists(Path.Combine(Directory, "optimizer.json")) ? JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, "optimizer.json")))?.AsObject() : null;

    /// <summary>Directory holding the optimizer's per-element state.</summary>
    public string OptimizerTensors => Path.Combine(Directory, "optimizer");

    /// <summary>SHA-256 of the weights, as recorded in DONE.</summary>
    public string Checksum => JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, Checkpoints.DoneMarker)))?["weights_sha256"]?.GetValue<string>() ?? "";
}
