using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>
/// Writes and finds checkpoint directories (<c>step_NNNNNNNN</c>). A checkpoint is written in full
/// into a temporary sibling directory, its <c>DONE</c> marker last, and only then renamed into
/// place, so a directory with that name is always complete; a kill at any moment leaves at most a
/// stray temporary directory, which is removed later.
/// </summary>
public static class Checkpoints
{
    /// <summary>The completion marker, written last.</summary>
    public const string DoneMarker = "DONE";

    /// <summary>Writes the weights (and, if given, optimizer state) after <paramref name="state"/>.Step steps under <paramref name="parent"/>.</summary>
    public static CheckpointInfo Write(string parent, WeightStore store, ZerothOrderOptimizer? optimizer, TrainerState state)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(state);
        var target = Path.Combine(parent, RunDirectory.StepName(state.Step));
        // An earlier attempt at the same step (interrupted after its rename) is replaced.
        return AtomicDirectory.Create(target, temp =>
        {
            var manifest = store.Save(Path.Combine(temp, "weights.bin"));
            manifest.Save(Path.Combine(temp, WeightManifest.FileName));
            AtomicFile.WriteAllText(Path.Combine(temp, "trainer.json"), JsonSerializer.Serialize(state, TrainerState.Json));
            if (optimizer is not null)
            {
                AtomicFile.WriteAllText(Path.Combine(temp, "optimizer.json"), optimizer.SaveState().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                var tensors = Directory.CreateDirectory(Path.Combine(temp, "optimizer")).FullName;
                optimizer.SaveTensors(tensors);
            }
            var done = new JsonObject { ["step"] = state.Step, ["weights_sha256"] = store.Checksum() };
            AtomicFile.WriteAllText(Path.Combine(temp, DoneMarker), done.ToJsonString());
            return new CheckpointInfo(state.Step, target);
        }, AtomicDirectory.Existing.Replace, $"checkpoint '{target}'",
            "check free disk space and permissions; earlier checkpoints and the trajectory log are unchanged, and --resume continues from them.");
    }

    /// <summary>All complete checkpoints under <paramref name="parent"/>, oldest first.</summary>
    public static IReadOnlyList<CheckpointInfo> List(string parent)
    {
        if (!Directory.Exists(parent)) return [];
        var found = new List<CheckpointInfo>();
        foreach (var dir in Directory.GetDirectories(parent, "step_*"))
        {
            var name = Path.GetFileName(dir);
            if (!long.TryParse(name.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var step)) continue;
            if (!File.Exists(Path.Combine(dir, DoneMarker))) continue;
            found.Add(new CheckpointInfo(step, dir));
        }
        return [.. found.OrderBy(c => c.Step)];
    }

    /// <summary>The newest complete checkpoint under <paramref name="parent"/>, or null.</summary>
    public static CheckpointInfo? Newest(string parent)
    {
        var all = List(parent);
        return all.Count == 0 ? null : all[^1];
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints, and stray partial directories.</summary>
    public static void Prune(string parent, int keep, long? protect = null)
    {
        var all = List(parent);
        foreach (var old in all.Take(Math.Max(0, all.Count - Math.Max(1, keep))))
        {
            if (old.Step != protect) AtomicDirectory.TryDelete(old.Directory);
        }
        // Only directories of processes that are gone: a concurrent writer's are left alone.
        Leftovers.Remove(parent, "step_*");
    }

    /// <summary>Checks that a checkpoint's weights come from the same base model as <paramref name="model"/>.</summary>
    public static void RequireSameBase(CheckpointInfo checkpoint, PreparedModel model)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(model);
        var manifest = checkpoint.Manifest;
        if (manifest.BaseWeightsSha256 != model.Manifest.BaseWeightsSha256)
        {
            Throw.Bszo($"Checkpoint '{checkpoint.Directory}' was trained from a different base model.",
                $"base weights {model.Manifest.BaseWeightsSha256[..16]}… ({model.Manifest.SourceModel})",
                $"base weights {manifest.BaseWeightsSha256[..Math.Min(16, manifest.BaseWeightsSha256.Length)]}… ({manifest.SourceModel})",
                "resume with the model the run started from, or start a new run with another --out directory.");
        }
    }
}
