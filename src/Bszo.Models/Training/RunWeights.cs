using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>
/// One set of a run's weights — its best (by dev score), its final (newest checkpoint) or its base
/// weights — with the step and checksum the run recorded for them. Every command that uses a run's
/// weights (eval, export, the test score at the end of training) finds them here and loads them
/// through <see cref="LoadInto"/>, which refuses weights whose checksum differs from the record: a
/// score or an export never carries the label of weights it did not use.
/// </summary>
/// <param name="Which">"best", "final" or "base".</param>
/// <param name="Step">Steps of training behind the weights (0: the base weights).</param>
/// <param name="Sha256">The checksum recorded for them; null for the base weights, which the prepared model's own checksum covers.</param>
/// <param name="Snapshot">The checkpoint holding them; null when they are the base weights.</param>
public sealed record RunWeights(string Which, long Step, string? Sha256, CheckpointInfo? Snapshot)
{
    /// <summary>The names <see cref="Find"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["best", "final", "base"];

    /// <summary>The weights <paramref name="which"/> of <paramref name="run"/>.</summary>
    public static RunWeights Find(RunDirectory run, string which)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(which);
        switch (which.Trim().ToLowerInvariant())
        {
            case "base":
                return new RunWeights("base", 0, null, null);
            case "best":
                var pointer = new BestWeights(run).Read() ?? throw new BszoException(BszoException.Format($"'{run.Root}' has no best weights.",
                    "best.json, written at the run's first evaluation", "none", "the run stopped before its first evaluation; use --weights final or --weights base."));
                if (pointer.Directory is null) return new RunWeights("best", pointer.Step, pointer.Sha256, null);
                var snapshot = new CheckpointInfo(pointer.Step, Path.Combine(run.Root, pointer.Directory));
                RequireComplete(snapshot, "best", "use --weights final, or rebuild the weights from the trajectory with `bszo export --from-log`.");
                return new RunWeights("best", pointer.Step, pointer.Sha256, snapshot);
            case "final":
                var newest = Checkpoints.Newest(run.Checkpoints) ?? throw new BszoException(BszoException.Format($"'{run.Root}' has no checkpoint.",
                    "checkpoints/step_*", "none", "the run stopped before its first checkpoint; use --weights base."));
                return new RunWeights("final", newest.Step, newest.Checksum, newest);
            default:
                throw new BszoException(BszoException.Format($"Unknown weights '{which}'.", string.Join(", ", Names), which));
        }
    }

    /// <summary>A label for messages: "best weights (step 40)".</summary>
    public string Describe() => Which == "base" ? "base weights" : FormattableString.Invariant($"{Which} weights (step {Step})");

    /// <summary>Loads the weights into <paramref name="store"/> (base weights from <paramref name="model"/>) and checks them against the run's record.</summary>
    public void LoadInto(WeightStore store, PreparedModel model)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(model);
        if (Snapshot is null) store.LoadFrom(model.Manifest, model.DataPath);
        else store.LoadFrom(Snapshot.Manifest, Snapshot.WeightsPath);
        if (Sha256 is null) return;
        var actual = store.Checksum();
        if (actual != Sha256)
        {
            throw new BszoException(BszoException.Format($"The run's {Describe()} in '{Snapshot?.Directory ?? model.DataPath}' are damaged: their checksum differs from the one the run recorded.",
                $"SHA-256 {Sha256}", $"SHA-256 {actual}",
                Which == "final" ? "delete that checkpoint directory to use the one before it, or rebuild the weights with `bszo export --from-log`."
                    : "rebuild the weights from the trajectory with `bszo export --from-log`, or use --weights final."));
        }
    }

    private static void RequireComplete(CheckpointInfo snapshot, string which, string hint)
    {
        if (!File.Exists(Path.Combine(snapshot.Directory, WeightManifest.FileName)) || !File.Exists(snapshot.WeightsPath))
        {
            throw new BszoException(BszoException.Format($"The run's {which} weights are missing.", $"a complete snapshot in '{snapshot.Directory}'",
                Directory.Exists(snapshot.Directory) ? "an incomplete directory" : "no such directory", hint));
        }
    }
}
