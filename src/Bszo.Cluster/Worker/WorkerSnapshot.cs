using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Models.Training;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;

namespace Bszo.Cluster.Worker;

/// <summary>A saved point a worker can restart from: weights, optimizer state, and the record of the step before.</summary>
/// <param name="Step">Steps the saved weights have taken.</param>
/// <param name="Checksum">Checksum of the saved weights.</param>
/// <param name="Directory">The snapshot's directory (weights, and the optimizer's per-element state).</param>
/// <param name="Manifest">Manifest describing <paramref name="DataPath"/>.</param>
/// <param name="DataPath">The fp32 weight file.</param>
/// <param name="State">The optimizer's <c>SaveState()</c>.</param>
/// <param name="LastRecord">Record of step <c>Step − 1</c>, compared with the coordinator's log before the snapshot is used.</param>
internal sealed record WorkerSnapshot(long Step, string Checksum, string Directory, WeightManifest Manifest, string DataPath, JsonObject State, StepRecord? LastRecord);

/// <summary>
/// A worker's snapshots: <c>snapshots/&lt;step&gt;/</c> directories and a <c>snapshot.json</c> pointer to
/// the newest, replaced atomically after the directory is complete, so a crash never leaves a
/// half-written snapshot in use.
/// </summary>
internal sealed class SnapshotDirectory(string workDirectory)
{
    private const string PointerFile = "snapshot.json";
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The newest snapshot written for a run of this spec over these base weights, or null.</summary>
    public WorkerSnapshot? Latest(string specJson, string baseWeightsSha256)
    {
        var pointer = Path.Combine(workDirectory, PointerFile);
        if (!File.Exists(pointer)) return null;
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(pointer))!.AsObject();
            if ((string?)node["baseWeightsSha256"] != baseWeightsSha256 || !JsonNode.DeepEquals(node["spec"], JsonNode.Parse(specJson)))
            {
                return null; // a snapshot of another run
            }
            var directory = Path.Combine(workDirectory, (string)node["directory"]!);
            var manifest = WeightManifest.Load(Path.Combine(directory, WeightManifest.FileName));
            var record = node["lastRecord"]?.Deserialize<StepRecord>(Json);
            return new WorkerSnapshot((long)node["step"]!, (string)node["checksum"]!, directory, manifest, Path.Combine(directory, manifest.Data),
                node["state"]!.AsObject().DeepClone().AsObject(), record);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or IOException or BszoException)
        {
            return null; // unreadable: start from the base weights and replay
        }
    }

    /// <summary>Saves the core's weights and optimizer state as the newest snapshot and deletes older ones.</summary>
    public void Save(TrainingCore core, string specJson, string checksum, StepRecord? lastRecord)
    {
        ArgumentNullException.ThrowIfNull(core);
        long step = core.Optimizer.StepsTaken;
        var name = step.ToString("D10", CultureInfo.InvariantCulture);
        var directory = Path.Combine(workDirectory, "snapshots", name);
        Directory.CreateDirectory(directory);
        var manifest = core.HostWeights().Save(Path.Combine(directory, "weights.bin"));
        manifest.Save(Path.Combine(directory, WeightManifest.FileName));
        core.Optimizer.SaveTensors(directory);
        var pointer = new JsonObject
        {
            ["step"] = step,
            ["checksum"] = checksum,
            ["directory"] = Path.Combine("snapshots", name),
            ["spec"] = JsonNode.Parse(specJson),
            ["baseWeightsSha256"] = core.Setup.Model.Manifest.BaseWeightsSha256,
            ["state"] = core.Optimizer.SaveState(),
            ["lastRecord"] = lastRecord is null ? null : JsonSerializer.SerializeToNode(lastRecord, Json),
        };
        AtomicFile.WriteAllText(Path.Combine(workDirectory, PointerFile), pointer.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        foreach (var old in Directory.EnumerateDirectories(Path.Combine(workDirectory, "snapshots")).Where(d => Path.GetFileName(d) != name))
        {
            try
            {
                Directory.Delete(old, recursive: true);
            }
            catch (IOException)
            {
                // An old snapshot that cannot be removed now only costs disk space.
            }
        }
    }

    /// <summary>Forgets the newest snapshot (it does not fit the run); the next start uses the base weights.</summary>
    public void Discard() => File.Delete(Path.Combine(workDirectory, PointerFile));
}
