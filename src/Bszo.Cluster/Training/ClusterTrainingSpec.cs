using System.Globalization;
using System.Text.Json.Nodes;
using Bszo.Models.Training;

namespace Bszo.Cluster.Training;

/// <summary>
/// What every worker of a run must agree on: the run's <see cref="RunSpec"/> (optimizer, options, run
/// seed, steps, batch size and batch order), and how often weights are compared and snapshotted. The
/// coordinator holds it and hands it to each worker as JSON when the worker connects.
/// </summary>
public sealed record ClusterTrainingSpec
{
    /// <summary>What the run trains: the same spec a single-process run of it would use.</summary>
    public required RunSpec Run { get; init; }

    /// <summary>Weight checksums are compared across workers at every step that is a multiple of this (and at the end).</summary>
    public int ChecksumEvery { get; init; } = 10;

    /// <summary>Workers save a local weight snapshot at every step that is a multiple of this, to rejoin from.</summary>
    public int SnapshotEvery { get; init; } = 100;

    /// <summary>Steps of the run.</summary>
    public long Steps => Run.Steps;

    /// <summary>Whether workers send, and the coordinator compares, weight checksums at the start of <paramref name="step"/>.</summary>
    public bool IsChecksumStep(long step) => step % ChecksumEvery == 0 || step >= Steps;

    /// <summary>Checks the values; throws <see cref="BszoException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Run);
        Run.Validate();
        if (Run.Objective != TrainingObjectives.Loss)
        {
            // Workers add up per-shard losses; a batch score is a single-process objective.
            Throw.Bszo($"A cluster run cannot train on the '{Run.Objective}' objective.", TrainingObjectives.Loss, Run.Objective,
                "train on a batch score with `bszo finetune --objective`, in one process.");
        }
        if (ChecksumEvery <= 0) Fail("checksum interval", ChecksumEvery);
        if (SnapshotEvery <= 0) Fail("snapshot interval", SnapshotEvery);
    }

    /// <summary>The spec as JSON (doubles round-trip exactly).</summary>
    public string ToJson() => new JsonObject
    {
        ["run"] = Run.ToJson(),
        ["checksumEvery"] = ChecksumEvery,
        ["snapshotEvery"] = SnapshotEvery,
    }.ToJsonString();

    /// <summary>Reads a spec written by <see cref="ToJson"/>.</summary>
    public static ClusterTrainingSpec FromJson(string json)
    {
        var node = JsonNode.Parse(json) as JsonObject;
        if (node?["run"] is not JsonObject run)
        {
            return Throw.Bszo<ClusterTrainingSpec>("The run specification from the coordinator cannot be read.", "a run, checksumEvery and snapshotEvery",
                json, "run the same Bszo version on the coordinator and every worker.");
        }
        var spec = new ClusterTrainingSpec
        {
            Run = RunSpec.FromJson(run, "the coordinator's run description"),
            ChecksumEvery = (int?)node["checksumEvery"] ?? 10,
            SnapshotEvery = (int?)node["snapshotEvery"] ?? 100,
        };
        spec.Validate();
        return spec;
    }

    private static void Fail(string option, int found) =>
        Throw.Bszo($"Invalid cluster option: {option}.", "> 0", found.ToString(CultureInfo.InvariantCulture));
}
