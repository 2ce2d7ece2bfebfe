using Bszo.Onnx;
using Bszo.Ort.Runtime;

namespace Bszo.Ort.Graph;

/// <summary>A base weight with its trained LoRA update folded in: W + (α/r)·A·B, as fp32 values.</summary>
/// <param name="Name">The base weight's initializer name in the source model.</param>
/// <param name="DataType">The ONNX element type of the original initializer (convert to it when exporting).</param>
/// <param name="Shape">Dimensions [in, out].</param>
/// <param name="Values">Merged values, row-major.</param>
public sealed record LoraMergedTensor(string Name, int DataType, long[] Shape, float[] Values);

/// <summary>
/// Folds trained LoRA adapters back into their base weights, so that a fine-tuned model can be
/// exported with the original graph unchanged: for every adapter in the manifest,
/// W' = W + (α/r)·A·B, each element summed in double and rounded once to fp32.
/// </summary>
/// <remarks>
/// A and B come from the trained store's fp32 masters. W comes from the store too if it was trained
/// alongside its adapter, otherwise from the model it was prepared from.
/// </remarks>
public static class LoraMerge
{
    /// <summary>Merges using base weights read from the source model named in <paramref name="manifest"/>.</summary>
    public static IReadOnlyDictionary<string, LoraMergedTensor> Merge(WeightManifest manifest, WeightStore trained)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (!File.Exists(manifest.SourceModel))
        {
            Throw.Bszo($"The source model '{manifest.SourceModel}' the LoRA run was prepared from is missing.", "the original model file", "no such file",
                "merge from the prepared directory instead (LoraMerge.Merge(PreparedModel, WeightStore)), or restore the source model.");
        }
        return Merge(manifest, OnnxModelFile.Load(manifest.SourceModel).Graph, Path.GetDirectoryName(Path.GetFullPath(manifest.SourceModel))!, trained);
    }

    /// <summary>Merges using base weights read from the prepared training graph.</summary>
    public static IReadOnlyDictionary<string, LoraMergedTensor> Merge(PreparedModel prepared, WeightStore trained)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        return Merge(prepared.Manifest, OnnxModelFile.Load(prepared.GraphPath).Graph, prepared.Directory, trained);
    }

    private static Dictionary<string, LoraMergedTensor> Merge(WeightManifest manifest, GraphProto graph, string directory, WeightStore trained)
    {
        ArgumentNullException.ThrowIfNull(trained);
        if (manifest.Lora.Count == 0)
        {
            Throw.Bszo("The prepared model has no LoRA adapters to merge.", "a manifest with a 'lora' section", "none",
                "the trained weights are the model's own tensors; export them directly.");
        }
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var storeNames = trained.Tensors.Select(t => t.Entry.Name).ToHashSet(StringComparer.Ordinal);
        var merged = new Dictionary<string, LoraMergedTensor>(StringComparer.Ordinal);
        foreach (var adapter in manifest.Lora)
        {
            var values = new float[adapter.In * adapter.Out];
            int dataType;
            if (storeNames.Contains(adapter.Weight))
            {
                trained.Master(trained.IdOf(adapter.Weight)).CopyTo(values);
                dataType = manifest.Tensors.First(t => t.Name == adapter.Weight).StorageType;
            }
            else if (initializers.TryGetValue(adapter.Weight, out var tensor))
            {
                InitializerData.ReadAsFloat(tensor, InitializerData.Describe(tensor, directory), values);
                dataType = tensor.DataType;
            }
            else
            {
                dataType = Throw.Bszo<int>($"Base weight '{adapter.Weight}' of a LoRA adapter is not in the model.", "the initializer the adapter was inserted for",
                    "no such initializer", "merge against the model the run was prepared from.");
            }
            var a = trained.Master(trained.IdOf(adapter.A));
            var b = trained.Master(trained.IdOf(adapter.B));
            FoldInto(values, a, b, adapter);
            merged[adapter.Weight] = new LoraMergedTensor(adapter.Weight, dataType, [adapter.In, adapter.Out], values);
        }
        return merged;
    }

    private static void FoldInto(Span<float> w, ReadOnlySpan<float> a, ReadOnlySpan<float> b, LoraAdapter adapter)
    {
        int rows = checked((int)adapter.In), columns = checked((int)adapter.Out), bColumns = checked((int)adapter.BColumns), r = adapter.Rank;
        if (a.Length != rows * r || b.Length != r * bColumns)
        {
            Throw.Bszo($"LoRA factors of '{adapter.Weight}' have the wrong size.", $"A {rows}×{r}, B {r}×{bColumns}", $"{a.Length} and {b.Length} elements",
                "the trained weights and the manifest come from different prepare runs.");
        }
        for (int j = 0; j < bColumns; j++)
        {
            int target = checked((int)adapter.TargetColumn(j));
            for (int i = 0; i < rows; i++)
            {
                double sum = 0;
                for (int k = 0; k < r; k++) sum += (double)a[i * r + k] * b[k * bColumns + j];
                w[i * columns + target] = (float)(w[i * columns + target] + adapter.Scale * sum);
            }
        }
    }
}
