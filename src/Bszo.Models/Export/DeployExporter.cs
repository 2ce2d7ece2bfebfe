using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Onnx;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Export;

/// <summary>Options of <see cref="DeployExporter.Export"/>.</summary>
public sealed record DeployExportOptions
{
    /// <summary>Replace an existing output directory (it is swapped out only after the new one is complete).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Also lay the model out as a Triton model repository entry with this name (config.pbtxt + version 1).</summary>
    public string? TritonModelName { get; init; }

    /// <summary>The source model, when it has moved since `bszo prepare` (default: the manifest's <c>SourceModel</c>).</summary>
    public string? SourceModel { get; init; }

    /// <summary>Provenance written to <c>bszo-export.json</c> (run, step, checksums).</summary>
    public JsonObject Provenance { get; init; } = [];
}

/// <summary>What <see cref="DeployExporter.Export"/> wrote.</summary>
/// <param name="Directory">The export directory.</param>
/// <param name="ModelPath">The exported ONNX file (for Triton, inside the version directory).</param>
/// <param name="DataFile">The external data file name (relative to the model).</param>
/// <param name="CopiedFiles">Sidecar files copied from the source model's directory.</param>
public sealed record DeployExportResult(string Directory, string ModelPath, string DataFile, IReadOnlyList<string> CopiedFiles);

/// <summary>
/// Writes a deploy-ready model: the <i>original</i> ONNX graph (ir_version, opsets, node and tensor
/// names unchanged) with the fine-tuned weights as its initializers, rounded to the dtypes the
/// source stored (fp16/bf16 masters are rounded to nearest even), all large initializers in one
/// external data file with a relative location, plus the source directory's card and tokenizer
/// files. An inference server that loaded the base model loads the result unchanged.
/// </summary>
/// <remarks>
/// The export is assembled in a temporary sibling directory, checked by the caller's verifier,
/// and only then renamed into place, so the output directory is either absent or complete.
/// </remarks>
public static class DeployExporter
{
    /// <summary>Initializers this large or larger (bytes) go to the external data file; smaller frozen ones stay inline as in the source.</summary>
    public const int ExternalThresholdBytes = 1024;

    /// <summary>
    /// Exports <paramref name="model"/>'s source graph with the weights in <paramref name="weights"/>
    /// into <paramref name="outputDirectory"/>. <paramref name="verify"/> receives the path of the
    /// exported model before it is moved into place; an exception from it aborts the export.
    /// </summary>
    public static DeployExportResult Export(PreparedModel model, WeightStore weights, string outputDirectory, DeployExportOptions? options = null,
        Action<string>? verify = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weights);
        options ??= new DeployExportOptions();
        var sourcePath = Path.GetFullPath(options.SourceModel ?? model.Manifest.SourceModel);
        if (!File.Exists(sourcePath))
        {
            Throw.Bszo($"The source model '{sourcePath}' is gone.", "the ONNX file the run was prepared from", "no such file",
                "export needs the original graph; pass its new location with --source.");
        }
        var sourceDir = Path.GetDirectoryName(sourcePath)!;
        FileChecksums.Verify(sourceDir, Training.TrainingModels.DamagedModelHint);
        var source = OnnxModelFile.Load(sourcePath);
        RequireSameBase(source, sourceDir, model, sourcePath);

        var output = Path.GetFullPath(outputDirectory);
        if (File.Exists(output))
        {
            throw new BszoException(BszoException.Format($"Export directory '{output}' is a file.", "a new directory", "an existing file",
                "choose another --out; the file was not changed."));
        }
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() && !options.Overwrite)
        {
            Throw.Bszo($"Export directory '{output}' already exists.", "a new directory", "a directory with files",
                "choose another --out, or pass --force to replace it (the old one is removed only after the new one is complete).");
        }
        // The old directory, if any, is removed only after the new one is complete.
        return AtomicDirectory.Create(output, temp =>
        {
            var modelDir = options.TritonModelName is null ? temp : Path.Combine(temp, options.TritonModelName, "1");
            Directory.CreateDirectory(modelDir);
            var modelFile = Path.GetFileName(sourcePath);
            var dataFile = DataFileName(source, modelFile);
            WriteModel(source, sourceDir, weights, model, Path.Combine(modelDir, modelFile), dataFile);
            var copied = CopySidecars(sourceDir, source, modelFile, modelDir);
            if (options.TritonModelName is not null)
            {
                TritonConfig.Write(Path.Combine(temp, options.TritonModelName, "config.pbtxt"), options.TritonModelName, source);
            }
            var provenance = (JsonObject)options.Provenance.DeepClone();
            provenance["source_model"] = sourcePath;
            provenance["base_weights_sha256"] = model.Manifest.BaseWeightsSha256;
            provenance["weights_sha256"] = weights.Checksum();
            provenance["data_file"] = dataFile;
            AtomicFile.WriteAllText(Path.Combine(modelDir, "bszo-export.json"), provenance.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

            FileChecksums.Write(modelDir, [modelFile, dataFile, .. copied]);

            var exportedModel = Path.Combine(modelDir, modelFile);
            verify?.Invoke(exportedModel);
            return new DeployExportResult(output, Path.Combine(output, Path.GetRelativePath(temp, exportedModel)), dataFile, copied);
        }, AtomicDirectory.Existing.Replace, $"the export to '{output}'", "check free disk space and permissions; nothing was changed at the destination.");
    }

    /// <summary>The data file name: the one the source already uses (deployments may expect it), else "&lt;model&gt;.data".</summary>
    private static string DataFileName(ModelProto source, string modelFile)
    {
        var used = GraphSurgery.AllTensors(source.Graph)
            .Where(t => t.DataLocation == TensorProto.Types.DataLocation.External)
            .Select(t => t.ExternalData.FirstOrDefault(e => e.Key == "location")?.Value)
            .Where(l => l is not null)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return used.Count == 1 && !used[0]!.Contains('/', StringComparison.Ordinal) ? used[0]! : modelFile + ".data";
    }

    private static void WriteModel(ModelProto source, string sourceDir, WeightStore weights, PreparedModel model, string modelPath, string dataFile)
    {
        // LoRA: the adapted weights are written as W + (α/r)·A·B; A and B themselves have no place in the original graph.
        var merged = model.Manifest.Lora.Count == 0 ? new Dictionary<string, LoraMergedTensor>() : LoraMerge.Merge(model, weights);
        var adapterTensors = model.Manifest.Lora.SelectMany(a => new[] { a.A, a.B }).ToHashSet(StringComparer.Ordinal);
        var trainable = weights.Tensors.Where(t => !adapterTensors.Contains(t.Entry.Name) && !merged.ContainsKey(t.Entry.Name))
            .ToDictionary(t => t.Entry.Name, StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        var topLevel = source.Graph.Initializer.ToHashSet<TensorProto>(ReferenceEqualityComparer.Instance);
        AtomicFile.Write(Path.Combine(Path.GetDirectoryName(modelPath)!, dataFile), stream =>
        {
            foreach (var tensor in GraphSurgery.AllTensors(source.Graph))
            {
                bool isTrainable = trainable.TryGetValue(tensor.Name, out var stored) && topLevel.Contains(tensor);
                bool isMerged = merged.TryGetValue(tensor.Name, out var mergedTensor) && topLevel.Contains(tensor);
                var info = InitializerData.Describe(tensor, sourceDir);
                bool external = tensor.DataLocation == TensorProto.Types.DataLocation.External;
                bool large = info.Length >= ExternalThresholdBytes;
                if (!isTrainable && !isMerged && !external && !large) continue; // small frozen constants stay as the source has them

                Pad(stream);
                long offset = stream.Position;
                if (isTrainable)
                {
                    found.Add(tensor.Name);
                    RequireType(tensor, stored!.Entry.StorageType);
                    WriteValues(weights.Master(stored.Entry.Id), tensor.DataType, stream);
                }
                else if (isMerged)
                {
                    found.Add(tensor.Name);
                    RequireType(tensor, mergedTensor!.DataType);
                    WriteValues(mergedTensor.Values, tensor.DataType, stream);
                }
                else
                {
                    CopyBytes(tensor, info, stream);
                }
                long length = stream.Position - offset;
                InitializerData.MakeExternal(tensor, dataFile, offset, length);
            }
        });
        var missing = trainable.Keys.Concat(merged.Keys).Where(n => !found.Contains(n)).ToList();
        if (missing.Count > 0)
        {
            Throw.Bszo("The source model lacks trained tensors.", "an initializer for every trainable tensor",
                $"missing: {string.Join(", ", missing.Take(5))}", "the source model changed since `bszo prepare`.");
        }
        OnnxModelFile.Save(source, modelPath);
    }

    private static void RequireType(TensorProto tensor, int prepared)
    {
        if (tensor.DataType != prepared)
        {
            Throw.Bszo($"Tensor '{tensor.Name}' changed type since `bszo prepare`.",
                OnnxDataType.Name(prepared), OnnxDataType.Name(tensor.DataType), "prepare and train again from the current model.");
        }
    }

    /// <summary>Writes fp32 values in the dtype the source stored: fp32 as is, fp16/bf16 rounded to nearest even.</summary>
    private static void WriteValues(ReadOnlySpan<float> values, int dataType, Stream stream)
    {
        if (dataType == OnnxDataType.Float)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        var bits = new ushort[Math.Min(values.Length, 1 << 20)];
        for (int done = 0; done < values.Length; done += bits.Length)
        {
            int n = Math.Min(bits.Length, values.Length - done);
            HalfBits.FromSingle(values.Slice(done, n), dataType, bits.AsSpan(0, n));
            stream.Write(MemoryMarshal.AsBytes(bits.AsSpan(0, n)));
        }
    }

    private static void CopyBytes(TensorProto tensor, InitializerInfo info, Stream stream)
    {
        if (info.ExternalPath is not null)
        {
            using var input = new FileStream(info.ExternalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            input.Position = info.Offset;
            var buffer = new byte[1 << 20];
            for (long left = info.Length; left > 0;)
            {
                int n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) Throw.Bszo($"External data of '{info.Name}' ends early in '{info.ExternalPath}'.", hint: "the source's data file is truncated.");
                stream.Write(buffer, 0, n);
                left -= n;
            }
            return;
        }
        if (tensor.RawData.Length > 0)
        {
            stream.Write(tensor.RawData.Span);
            return;
        }
        // Typed fields (float_data, int64_data, ...): the raw little-endian form of the same values.
        var raw = TypedToRaw(tensor, info);
        stream.Write(raw);
    }

    private static byte[] TypedToRaw(TensorProto tensor, InitializerInfo info)
    {
        return info.DataType switch
        {
            OnnxDataType.Float => MemoryMarshal.AsBytes(tensor.FloatData.ToArray().AsSpan()).ToArray(),
            OnnxDataType.Double => MemoryMarshal.AsBytes(tensor.DoubleData.ToArray().AsSpan()).ToArray(),
            OnnxDataType.Int64 => MemoryMarshal.AsBytes(tensor.Int64Data.ToArray().AsSpan()).ToArray(),
            OnnxDataType.Int32 => MemoryMarshal.AsBytes(tensor.Int32Data.ToArray().AsSpan()).ToArray(),
            OnnxDataType.Float16 or OnnxDataType.BFloat16 => MemoryMarshal.AsBytes(tensor.Int32Data.Select(v => (ushort)v).ToArray().AsSpan()).ToArray(),
            _ => Throw.Bszo<byte[]>($"Cannot move initializer '{info.Name}' ({OnnxDataType.Name(info.DataType)}) to external data."),
        };
    }

    /// <summary>Checks that the source's trainable tensors still hold the bytes the run started from.</summary>
    private static void RequireSameBase(ModelProto source, string sourceDir, PreparedModel model, string sourcePath)
    {
        var manifest = model.Manifest;
        var byName = source.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        if (manifest.Lora.Count > 0)
        {
            RequireSameLoraBase(byName, sourceDir, model, sourcePath);
            return;
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var buffer = new MemoryStream();
        foreach (var entry in manifest.Tensors)
        {
            if (!byName.TryGetValue(entry.Name, out var tensor))
            {
                Throw.Bszo($"'{sourcePath}' has no initializer '{entry.Name}'.", "the model the run was prepared from",
                    "a different model", "pass the original model with --source.");
            }
            buffer.SetLength(0);
            CopyBytes(tensor, InitializerData.Describe(tensor, sourceDir), buffer);
            hash.AppendData(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (actual != manifest.BaseWeightsSha256)
        {
            Throw.Bszo($"'{sourcePath}' is not the model the run was trained from.",
                $"base weights {manifest.BaseWeightsSha256}", $"base weights {actual}",
                "the source model was changed or replaced after `bszo prepare`; pass the original with --source.");
        }
    }

    /// <summary>
    /// With LoRA the run started from the adapted weights (frozen in the prepared graph) and any tensors
    /// trained alongside the adapters (in the prepared weight file); A and B exist only there. Each of
    /// these must hold the same bytes in the source.
    /// </summary>
    private static void RequireSameLoraBase(Dictionary<string, TensorProto> source, string sourceDir, PreparedModel model, string sourcePath)
    {
        var adapterTensors = model.Manifest.Lora.SelectMany(a => new[] { a.A, a.B }).ToHashSet(StringComparer.Ordinal);
        var prepared = OnnxModelFile.Load(model.GraphPath).Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        using var weights = new FileStream(model.DataPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var expected = new MemoryStream();
        using var actual = new MemoryStream();
        var checkedNames = model.Manifest.Lora.Select(a => a.Weight).Concat(model.Manifest.Tensors.Select(t => t.Name).Where(n => !adapterTensors.Contains(n)));
        foreach (var name in checkedNames.Distinct(StringComparer.Ordinal))
        {
            if (!source.TryGetValue(name, out var tensor))
            {
                Throw.Bszo($"'{sourcePath}' has no initializer '{name}'.", "the model the run was prepared from",
                    "a different model", "pass the original model with --source.");
            }
            expected.SetLength(0);
            actual.SetLength(0);
            CopyBytes(tensor, InitializerData.Describe(tensor, sourceDir), actual);
            if (model.Manifest.Tensors.FirstOrDefault(t => t.Name == name) is { } entry)
            {
                weights.Position = entry.Offset;
                var buffer = new byte[entry.FileBytes];
                weights.ReadExactly(buffer);
                expected.Write(buffer);
            }
            else
            {
                CopyBytes(prepared[name], InitializerData.Describe(prepared[name], model.Directory), expected);
            }
            if (!expected.GetBuffer().AsSpan(0, (int)expected.Length).SequenceEqual(actual.GetBuffer().AsSpan(0, (int)actual.Length)))
            {
                Throw.Bszo($"'{sourcePath}' is not the model the run was trained from.",
                    $"tensor '{name}' as prepared", "different values",
                    "the source model was changed or replaced after `bszo prepare`; pass the original with --source.");
            }
        }
    }

    private static List<string> CopySidecars(string sourceDir, ModelProto source, string modelFile, string destination)
    {
        var dataFiles = GraphSurgery.AllTensors(source.Graph)
            .SelectMany(t => t.ExternalData.Where(e => e.Key == "location").Select(e => e.Value))
            .ToHashSet(StringComparer.Ordinal);
        var copied = new List<string>();
        foreach (var file in Directory.GetFiles(sourceDir))
        {
            var name = Path.GetFileName(file);
            if (name == modelFile || dataFiles.Contains(name) || name.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith('.') || name == "bszo-export.json" || name == FileChecksums.FileName) continue;
            File.Copy(file, Path.Combine(destination, name));
            copied.Add(name);
        }
        return copied;
    }


    private static void Pad(Stream stream)
    {
        long pad = (TrainingModelBuilder.Alignment - stream.Position % TrainingModelBuilder.Alignment) % TrainingModelBuilder.Alignment;
        for (long i = 0; i < pad; i++) stream.WriteByte(0);
    }

}
