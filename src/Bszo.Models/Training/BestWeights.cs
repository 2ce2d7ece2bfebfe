using System.Text.Json.Nodes;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>What <c>best.json</c> says: the step of the best dev score, its snapshot (null: the base weights), and the weights' SHA-256.</summary>
internal sealed record BestPointer(long Step, string? Directory, string Sha256);

/// <summary>
/// The weights with the best dev score so far: a snapshot directory under <c>best/</c> and the
/// pointer file <c>best.json</c>, replaced atomically after the snapshot is complete. Step 0 means
/// the base weights (nothing is copied).
/// </summary>
internal sealed class BestWeights(RunDirectory run)
{
    private const string Hint = "the run's best.json was edited or damaged; score the newest checkpoint instead with --weights final.";

    /// <summary>The step the pointer names, or null before the first evaluation.</summary>
    public long? Step => Read()?.Step;

    /// <summary>The snapshot directory, or null when the best weights are the base weights.</summary>
    public CheckpointInfo? Snapshot => Read() is { Directory: { } relative } pointer ? new CheckpointInfo(pointer.Step, Path.Combine(run.Root, relative)) : null;

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

    /// <summary>The pointer, or null when the run has not evaluated yet (no best.json).</summary>
    public BestPointer? Read()
    {
        if (!File.Exists(run.BestPointer)) return null;
        var json = JsonFile.ReadObject(run.BestPointer, Hint);
        var step = JsonFile.Long(json, "step", run.BestPointer, Hint);
        var sha = JsonFile.String(json, "weights_sha256", run.BestPointer, Hint);
        if (step is null || sha is null) Throw.Bszo($"'{run.BestPointer}' lacks \"step\" or \"weights_sha256\".", hint: Hint);
        return new BestPointer(step.Value, JsonFile.String(json, "directory", run.BestPointer, Hint), sha);
    }
}
