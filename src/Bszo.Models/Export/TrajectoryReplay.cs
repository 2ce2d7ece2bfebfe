using Bszo.Models.Training;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Export;

/// <summary>
/// Rebuilds fine-tuned weights from the base model and a trajectory log alone: the optimizer of the
/// run specification stored in the log's header repeats every logged step (no forward passes).
/// </summary>
public static class TrajectoryReplay
{
    /// <summary>
    /// Replays the first <paramref name="steps"/> records of <paramref name="trajectoryPath"/> (all
    /// when null) onto <paramref name="store"/>, which must hold the base weights of <paramref name="model"/>.
    /// Returns the number of steps replayed.
    /// </summary>
    public static long Replay(PreparedModel model, WeightStore store, string trajectoryPath, long? steps = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(store);
        var (header, records) = TrajectoryLog.Read(trajectoryPath);
        if (header.BaseWeightsSha256 != model.Manifest.BaseWeightsSha256)
        {
            Throw.Bszo($"Trajectory '{trajectoryPath}' was recorded on a different base model.",
                model.Manifest.BaseWeightsSha256, header.BaseWeightsSha256, "replay needs the model the run was trained from.");
        }
        var spec = RunIdentity.Spec(header, trajectoryPath);
        long count = Math.Min(steps ?? records.Count, records.Count);
        if (steps > records.Count)
        {
            Throw.Bszo($"Trajectory '{trajectoryPath}' has {records.Count} steps.", $"at least {steps}", $"{records.Count}");
        }
        using var optimizer = spec.CreateOptimizer(new PerturbationSweep(store, new SweepOptions { Noise = spec.Noise }));
        for (int i = 0; i < count; i++) optimizer.Replay(records[i]);
        return count;
    }
}
