using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Bszo.Models.Export;

/// <summary>One output compared between the training graph and the exported model.</summary>
/// <param name="Output">Output name.</param>
/// <param name="MaxAbsDifference">Largest absolute difference over all elements.</param>
/// <param name="Elements">Elements compared.</param>
public sealed record OutputComparison(string Output, double MaxAbsDifference, long Elements);

/// <summary>
/// Loads an exported model in a fresh, default ONNX Runtime session (as a deployment would) and
/// compares its outputs with the training graph's on the same batch. A decoder's logits, which its
/// training graph computes only where the loss reads them, are compared through the candidate
/// scores both compute from them.
/// </summary>
public static class ExportVerifier
{
    /// <summary>
    /// Compares <paramref name="outputs"/> of <paramref name="exportedModel"/> and <paramref name="training"/>
    /// on <paramref name="batch"/>; throws when a difference exceeds <paramref name="tolerance"/>
    /// (absolute, scaled by max(1, |value|)).
    /// </summary>
    public static IReadOnlyList<OutputComparison> Compare(string exportedModel, TrainingGraphSession training, TensorBatch batch,
        IReadOnlyList<string> outputs, double tolerance = 1e-4)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(outputs);
        using var session = Open(exportedModel);
        var feeds = batch.Values.Where(v => session.InputMetadata.ContainsKey(v.Name)).ToList();
        using var cache = EmptyCache(exportedModel, session, batch);
        feeds.AddRange(cache.Values);
        var missing = session.InputMetadata.Keys.Where(k => feeds.All(f => f.Name != k)).ToList();
        if (missing.Count > 0)
        {
            Throw.Bszo($"The exported model needs inputs the batch lacks: {string.Join(", ", missing)}.",
                "the model's own inputs", string.Join(", ", batch.Values.Select(v => v.Name)));
        }
        var results = new List<OutputComparison>();
        using var runOptions = new RunOptions();
        using var fetched = session.Run(runOptions, feeds.Select(f => f.Name).ToList(), feeds.Select(f => f.Value).ToList(), outputs.ToList());
        for (int i = 0; i < outputs.Count; i++)
        {
            var exported = ToFloats(fetched[i], outputs[i]);
            float[] reference;
            string compared = outputs[i];
            if (training.OutputMetadata.ContainsKey(outputs[i]))
            {
                (reference, _) = training.Run(batch, outputs[i]);
            }
            else
            {
                // A candidate head computes logits only at the scored positions: compare what it computes
                // from them, the candidate scores, with the same scores from the exported model's logits.
                exported = CandidateScores(exported, fetched[i].GetTensorTypeAndShape().Shape, batch);
                (reference, _) = training.Run(batch, CandidateLossHead.ScoreOutput);
                compared = $"{CandidateLossHead.ScoreOutput} (from {outputs[i]})";
            }
            if (exported.Length != reference.Length)
            {
                Throw.Bszo($"Output '{compared}' of the exported model has {exported.Length} elements.",
                    $"{reference.Length}, as the training graph", $"{exported.Length}");
            }
            double worst = 0;
            for (int k = 0; k < exported.Length; k++)
            {
                double diff = Math.Abs((double)exported[k] - reference[k]) / Math.Max(1.0, Math.Abs(reference[k]));
                if (!(diff <= worst)) worst = double.IsNaN(diff) ? double.PositiveInfinity : diff;
            }
            if (worst > tolerance)
            {
                Throw.Bszo($"The exported model's output '{compared}' differs from the training graph's.",
                    $"differences ≤ {tolerance}", $"{worst}", "the export is not written; report this with the model.");
            }
            results.Add(new OutputComparison(compared, worst, exported.Length));
        }
        return results;
    }

    /// <summary>
    /// An empty key/value cache and a false use_cache_branch for a decoder exported with past key/values,
    /// as the training graph feeds itself (<see cref="CacheInputs"/>); empty for other models.
    /// </summary>
    private static TensorBatch EmptyCache(string exportedModel, InferenceSession session, TensorBatch batch)
    {
        var cache = new TensorBatch(batch.Examples);
        try
        {
            if (!session.InputMetadata.Keys.Any(CacheInputs.IsCacheInput)) return cache;
            var data = batch.Values.Where(v => v.Name == "input_ids").Select(v => v.Value).FirstOrDefault() ?? batch.Values[0].Value;
            long rows = data.GetTensorTypeAndShape().Shape[0];
            foreach (var input in OnnxModelFile.Load(exportedModel).Graph.Input.Where(i => session.InputMetadata.ContainsKey(i.Name) && CacheInputs.IsCacheInput(i.Name)))
            {
                var shape = CacheInputs.EmptyShape(input, rows);
                int count = (int)shape.Aggregate(1L, (a, b) => a * b);
                int type = input.Type?.TensorType?.ElemType ?? OnnxDataType.Float;
                cache.Add(input.Name, type switch
                {
                    OnnxDataType.Float => OrtValue.CreateTensorValueFromMemory(new float[count], shape),
                    OnnxDataType.Float16 => OrtValue.CreateTensorValueFromMemory(new Float16[count], shape),
                    OnnxDataType.BFloat16 => OrtValue.CreateTensorValueFromMemory(new BFloat16[count], shape),
                    OnnxDataType.Bool => OrtValue.CreateTensorValueFromMemory(new bool[count], shape),
                    _ => Throw.Bszo<OrtValue>($"Cache input '{input.Name}' of '{exportedModel}' is {OnnxDataType.Name(type)}.",
                        "float, float16, bfloat16 or bool", OnnxDataType.Name(type)),
                });
            }
            return cache;
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    private static InferenceSession Open(string path)
    {
        try
        {
            return new InferenceSession(path);
        }
        catch (OnnxRuntimeException e)
        {
            return Throw.Bszo<InferenceSession>(e, $"ONNX Runtime cannot load the exported model '{path}'.", found: e.Message,
                hint: "the export is not written; report this with the model.");
        }
    }

    /// <summary>The candidate head's per-row scores from the exported logits (<see cref="CandidateScoreReference"/>).</summary>
    private static float[] CandidateScores(float[] logits, long[] shape, TensorBatch batch) =>
        [.. CandidateScoreReference.FromLogits(logits, shape, Input<long>(batch, CandidateLossHead.TargetIds), Input<float>(batch, CandidateLossHead.TargetMask)).Select(x => (float)x)];

    private static ReadOnlySpan<T> Input<T>(TensorBatch batch, string name)
        where T : unmanaged =>
        (batch.Values.FirstOrDefault(v => v.Name == name).Value
            ?? throw new BszoException(BszoException.Format($"The verification batch has no '{name}' input.", "the candidate head's inputs", "none")))
        .GetTensorDataAsSpan<T>();

    private static float[] ToFloats(OrtValue value, string name)
    {
        var info = value.GetTensorTypeAndShape();
        return info.ElementDataType switch
        {
            TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
            TensorElementType.Float16 => value.GetTensorDataAsSpan<Float16>().ToArray().Select(h => h.ToFloat()).ToArray(),
            TensorElementType.BFloat16 => value.GetTensorDataAsSpan<BFloat16>().ToArray().Select(h => h.ToFloat()).ToArray(),
            TensorElementType.Int64 => value.GetTensorDataAsSpan<long>().ToArray().Select(v => (float)v).ToArray(),
            TensorElementType.Int32 => value.GetTensorDataAsSpan<int>().ToArray().Select(v => (float)v).ToArray(),
            _ => Throw.Bszo<float[]>($"Output '{name}' has type {info.ElementDataType}.", "a numeric tensor", info.ElementDataType.ToString()),
        };
    }
}
