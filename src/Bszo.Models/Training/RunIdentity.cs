using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Bszo.Models.Adapters;
using Bszo.Ort;
using Bszo.Ort.Optimizers;

namespace Bszo.Models.Training;

/// <summary>
/// What makes two runs follow the same trajectory (optimizer, settings, base weights, training
/// data, batch order, evaluation and checkpoint steps), written into the trajectory header and
/// checked on resume.
/// </summary>
internal static class RunIdentity
{
    private const string SpecKey = "spec";

    /// <summary>The trajectory header of a run.</summary>
    public static TrajectoryHeader Header(TrainingSetup setup, TrainingOptions training, long trainableElements, bool cachedPrefix, string? weightSweep = null)
    {
        long steps = setup.Spec.Steps;
        var run = new JsonObject
        {
            ["evalEvery"] = training.EvalInterval(steps),
            ["checkpointEvery"] = training.CheckpointInterval(steps),
            ["trainExamples"] = setup.Data.Train.Count,
            ["trainSha256"] = Hash(setup.Data.Train),
        };
        // Cached rows and whole-graph passes differ in the last bits; written only when used.
        if (cachedPrefix) run["frozenPrefixCache"] = true;
        // Device sweeps compute the same noise to within a few fp32 ulps, not bit for bit: written only when used.
        if (weightSweep is not null) run["weightSweep"] = weightSweep;
        return new TrajectoryHeader
        {
            Optimizer = setup.Spec.Optimizer,
            Options = new JsonObject { [SpecKey] = setup.Spec.ToJson(), ["training"] = run },
            BaseWeightsSha256 = setup.Model.Manifest.BaseWeightsSha256,
            TrainableElements = trainableElements,
        };
    }

    /// <summary>The run's spec as a trajectory header records it.</summary>
    public static RunSpec Spec(TrajectoryHeader header, string path)
    {
        ArgumentNullException.ThrowIfNull(header);
        return header.Options[SpecKey] is JsonObject spec
            ? RunSpec.FromJson(spec, $"'{path}'")
            : Throw.Bszo<RunSpec>($"Trajectory '{path}' does not record its run specification.",
                "a header written by `bszo finetune`", header.Options.ToJsonString(), "it was written by another version of Bszo; start a new run.");
    }

    /// <summary>Refuses to continue a log written by a different run.</summary>
    public static void RequireSame(TrajectoryHeader logged, TrajectoryHeader current, string path)
    {
        if (logged.BaseWeightsSha256 != current.BaseWeightsSha256)
        {
            Throw.Bszo($"The run in '{Path.GetDirectoryName(path)}' was trained from a different base model.",
                $"base weights {Short(current.BaseWeightsSha256)}", $"base weights {Short(logged.BaseWeightsSha256)}",
                "resume with the model the run started from, or start a new run with another --out directory.");
        }
        var differences = new List<string>();
        if (logged.Optimizer != current.Optimizer) differences.Add($"optimizer: {logged.Optimizer} → {current.Optimizer}");
        Compare(logged.Options, current.Options, "", differences);
        if (differences.Count > 0)
        {
            Throw.Bszo($"--resume: the settings differ from those the run in '{Path.GetDirectoryName(path)}' was started with.",
                "the same optimizer, settings, data and schedule", string.Join("; ", differences),
                "resume with the original settings (see its config.json), or start a new run with another --out directory.");
        }
    }

    /// <summary>SHA-256 over the examples' prompts, candidates and labels.</summary>
    public static string Hash(IReadOnlyList<PromptedExample> examples)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in examples)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(e.Prompt));
            hash.AppendData([0]);
            foreach (var c in e.Candidates)
            {
                hash.AppendData(Encoding.UTF8.GetBytes(c));
                hash.AppendData([1]);
            }
            hash.AppendData(BitConverter.GetBytes(e.Label));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Compare(JsonNode? a, JsonNode? b, string path, List<string> differences)
    {
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (var key in oa.Select(p => p.Key).Union(ob.Select(p => p.Key)))
            {
                Compare(oa[key], ob[key], path.Length == 0 ? key : $"{path}.{key}", differences);
            }
            return;
        }
        if (!JsonNode.DeepEquals(a, b)) differences.Add($"{path}: {a?.ToJsonString() ?? "none"} → {b?.ToJsonString() ?? "none"}");
    }

    private static string Short(string sha) => sha.Length > 16 ? sha[..16] + "…" : sha;
}
