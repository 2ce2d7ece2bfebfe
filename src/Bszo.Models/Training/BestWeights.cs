using System.Text.Json.Nodes;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>
/// The weights with the best dev score so far: a snapshot directory under <c>best/</c> and the
/// pointer file <c>best.json</c>, replaced atomically after the snapshot is complete. Step 0 means
/// the base weights (nothing is copied).
/// </summary>
internal sealed class BestWeights(RunDirectory run)
{
    /// <summary>The step the pointer names, or null before the first evaluation.</summary>
    public long? Step => Read()?["step"]?.GetValue<long>();

    /// <summary>The snapshot directory, or null when the best weights are the base weights.</summary>
    public CheckpointInfo? Snapshot
    {
        get
        {
            var pointer = Read();
            var relative = pointer?["directory"]?.GetValue<string>();
            return relative is null ? null : new CheckpointInfo(pointer!["step"]!.GetValue<long>(), Path.Combine(run.Root, relative));
        }
    }

    /// <summary>Records that the base weights are best (the zero-shot evaluation).</summary>
    public void SaveBase(string baseSha256) =>
        AtomicFile.WriteAllText(run.BestPointer, new JsonObject { ["step"] = 0, ["directory"] = null, ["weights_sha256"] = baseSha256 }.ToJsonString());

    /// <summary>Snapshots the store's current weights as the best, after <paramref name="state"/>.Step steps.</summary>
    public void Save(WeightStore store, TrainerState state)
    {
        var snapshot = Checkpoints.Write(run.Best, store, optimizer: null, state);
        AtomicFile.WriteAllText(run.BestPointer, new JsonObject
        {
            ["step"] = state.Step,
            ["directory"] = Path.GetRelativePath(run.Root, snapshot.Directory).Replace('\\', '/'),
            ["weights_sha256"] = snapshot.Checksum,
        }.ToJsonString());
        Checkpoints.Prune(run.Best, keep: 1, protect: state.Step);
    }

    /// <summary>The SHA-256 of the best weights, as recorded.</summary>
    public string Checksum => Read()?["weights_sha256"]?.GetValue<string>() ?? "";

    private JsonObject? Read() => File.Exists(run.BestPointer) ? JsonNode.Parse(File.ReadAllText(run.BestPointer))?.AsObject() : null;
}
