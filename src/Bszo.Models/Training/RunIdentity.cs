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
    /// <summary>The trajectory header of a run.</summary>
    public static TrajectoryHeader Header(ZerothOrderOptimizer optimizer, OptimizerSettings settings, TrainerInputs run, long trainableElements, bool cachedPrefix)
    {
        var options = optimizer.DescribeOptions();
        options["settings"] = settings.ToJson();
        var t = run.Training;
        options["training"] = new JsonObject
        {
            ["steps"] = t.Steps,
            ["batchSize"] = t.BatchSize,
            ["dataSeed"] = t.DataSeed,
            ["evalEvery"] = t.EvalInterval,
            ["checkpointEvery"] = t.CheckpointInterval,
            ["trainExamples"] = run.Data.Train.Count,
            ["trainSha256"] = Hash(run.Data.Train),
        };
        // Cached rows and whole-graph passes differ in the last bits; written only when used, so logs of uncached runs stay as they were.
        if (cachedPrefix) options["training"]!["frozenPrefixCache"] = true;
        // Likewise the objective: a log of losses and a log of batch scores must never be mixed.
        if (t.Objective != TrainingObjectives.Loss) options["training"]!["objective"] = t.Objective;
        return new TrajectoryHeader
        {
            Optimizer = optimizer.Name,
            Options = options,
            BaseWeightsSha256 = run.Model.Manifest.BaseWeightsSha256,
            TrainableElements = trainableElements,
        };
    }

    /// <summary>Refuses to continue a log written by a different run.</summary>
    public static void RequireSame(TrajectoryHeader logged, TrajectoryHeader current, string path)
    {
        if (logged.BaseWeightsSha256 != current.BaseWeightsSha256)
        {
            throw new BszoException(BszoException.Format($"The run in '{Path.GetDirectoryName(path)}' was trained from a different base model.",
                $"base weights {Short(current.BaseWeightsSha256)}", $"base weights {Short(logged.BaseWeightsSha256)}",
                "resume with the model the run started from, or start a new run with another --out directory."));
        }
        var differences = new List<string>();
        if (logged.Optimizer != current.Optimizer) differences.Add($"optimizer: {logged.Optimizer} → {current.Optimizer}");
        Compare(logged.Options, current.Options, "", differences);
        if (differences.Count > 0)
        {
            throw new BszoException(BszoException.Format($"--resume: the settings differ from those the run in '{Path.GetDirectoryName(path)}' was started with.",
                "the same optimizer, settings, data and schedule", string.Join("; ", differences),
                "resume with the original settings (see its config.json), or start a new run with another --out directory."));
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
