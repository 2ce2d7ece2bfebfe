using System.Security.Cryptography;
using Bszo.Onnx;
using Google.Protobuf;

namespace Bszo.Ort.Graph;

/// <summary>Options for <see cref="TrainingModelBuilder.Prepare"/>.</summary>
public sealed record PrepareOptions
{
    /// <summary>How the training graph computes the per-example loss.</summary>
    public required LossHead Loss { get; init; }

    /// <summary>
    /// Name patterns of the tensors to train (see <see cref="NameGlob"/>). Empty: every float
    /// initializer with at least two elements. Scalars are left out by default because in exported
    /// graphs they are operator constants (epsilons, scales, mask values), not weights.
    /// </summary>
    public IReadOnlyList<string> Trainable { get; init; } = [];

    /// <summary>Frozen initializers larger than this many bytes are stored in <c>frozen.bin</c> rather than inline.</summary>
    public long InlineLimitBytes { get; init; } = 4096;

    /// <summary>
    /// LoRA adapters to insert (ZO-PEFT). When set, the adapters' A and B are trainable and everything
    /// else is frozen, unless <see cref="Trainable"/> names more tensors to train alongside them.
    /// </summary>
    public LoraOptions? Lora { get; init; }

    /// <summary>
    /// Train the last this-many transformer layers and what follows them (final norm, pooler, head;
    /// see <see cref="TransformerLayers"/>), besides what <see cref="Trainable"/> names. With <see cref="Lora"/>,
    /// only those layers get adapters, and what follows them trains directly. 0: only what follows them.
    /// </summary>
    public int? TrainTopLayers { get; init; }
}

/// <summary>
/// Turns an ONNX model into a training model: every trainable initializer becomes a graph input
/// whose buffer Bszo owns (<c>weights.bin</c>), frozen initializers stay initializers that ONNX Runtime
/// owns (<c>frozen.bin</c>), and a <see cref="LossHead"/> makes the graph compute the per-example loss.
/// </summary>
/// <remarks>
/// Weights as graph inputs is the one way found to let ONNX Runtime read buffers that are mutated in
/// place between runs without copying them and without stale prepacked or constant-folded copies.
/// The source model and its data files are only read, never modified.
/// </remarks>
public static class TrainingModelBuilder
{
    /// <summary>Weight files are laid out so that every tensor starts on a cache-line boundary.</summary>
    public const int Alignment = 64;

    /// <summary>Prepares <paramref name="modelPath"/> into <paramref name="outputDirectory"/>.</summary>
    public static PreparedModel Prepare(string modelPath, string outputDirectory, PrepareOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sourcePath = Path.GetFullPath(modelPath);
        var sourceDirectory = Path.GetDirectoryName(sourcePath)!;
        var model = OnnxModelFile.Load(sourcePath);
        var graph = model.Graph;
        CheckOpset(model, sourcePath);

        // The loss first: the layers to train are those the loss depends on.
        var modelOutputs = graph.Output.Select(o => o.Name).ToList();
        options.Loss.Attach(new GraphBuilder(graph));
        var top = options.TrainTopLayers is int count ? TransformerLayers.Find(graph, [LossHead.LossOutput], sourcePath) : null;
        var topWeights = top?.Top(options.TrainTopLayers!.Value).ToHashSet(StringComparer.Ordinal);

        var adapters = options.Lora is null ? [] : LoraInsertion.Insert(graph, options.Lora, topWeights?.Except(top!.After).ToHashSet(StringComparer.Ordinal));
        var adapterTensors = adapters.SelectMany(a => new[] { a.A, a.B }).ToHashSet(StringComparer.Ordinal);
        // Chosen by layer: the top layers' weights, or with LoRA their adapters and what follows the layers.
        var byLayer = top is null ? [] : adapters.Count > 0 ? top.After.ToHashSet(StringComparer.Ordinal) : topWeights!;
        bool patternsOnly = adapters.Count == 0 && top is null;

        var glob = NameGlob.Create(options.Trainable);
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var exact in glob.ExactNames)
        {
            if (!initializers.TryGetValue(exact, out var named))
            {
                Throw.Bszo($"No initializer named '{exact}' in '{sourcePath}'.", "the name of a weight tensor", "no such initializer",
                    "names are case-sensitive; `bszo prepare --list` prints the model's tensors.");
            }
            if (!OnnxDataType.IsTrainable(named.DataType))
            {
                Throw.Bszo($"Tensor '{exact}' was named trainable but is {OnnxDataType.Name(named.DataType)}.",
                    "float, float16 or bfloat16", OnnxDataType.Name(named.DataType),
                    "only floating-point tensors can be perturbed; leave integer tensors (shapes, indices) frozen.");
            }
        }

        // Patterns add to adapters and layers; alone, no patterns means every weight.
        bool byPatterns = patternsOnly || options.Trainable.Count > 0;
        var trainable = graph.Initializer
            .Where(t => adapterTensors.Contains(t.Name) || byLayer.Contains(t.Name)
                        || (byPatterns && Selects(t, glob)))
            .ToList();
        if (trainable.Count == 0)
        {
            Throw.Bszo($"No trainable tensors selected in '{sourcePath}'.", "at least one float initializer matching the patterns",
                options.Trainable.Count == 0 ? "no float initializers with two or more elements" : $"nothing matches {string.Join(" ", options.Trainable)}",
                "check the --trainable patterns; the model's weights may be embedded as Constant nodes, which Bszo cannot train.");
        }

        var outDir = Path.GetFullPath(outputDirectory);
        if (Path.GetFullPath(sourceDirectory) == outDir)
        {
            Throw.Bszo("The output directory is the source model's directory.", "a separate directory", outDir,
                "choose another --out directory; the source model is never modified.");
        }
        Directory.CreateDirectory(outDir);
        var manifestPath = Path.Combine(outDir, WeightManifest.FileName);
        if (File.Exists(manifestPath)) File.Delete(manifestPath); // the directory is incomplete until the new manifest exists

        // 1. Trainable tensors -> weights.bin (our file), graph inputs instead of initializers.
        var entries = new List<WeightEntry>();
        string sha256;
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            AtomicFile.Write(Path.Combine(outDir, "weights.bin"), stream =>
            {
                foreach (var tensor in trainable)
                {
                    var info = InitializerData.Describe(tensor, sourceDirectory);
                    ExternalData.Pad(stream);
                    entries.Add(new WeightEntry(tensor.Name, entries.Count, tensor.DataType, tensor.DataType, info.Shape, stream.Position));
                    ExternalData.CopyRaw(tensor, info, stream, hash);
                }
            });
            sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        foreach (var tensor in trainable) graph.Initializer.Remove(tensor);
        var existingInputs = graph.Input.ToDictionary(v => v.Name, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (existingInputs.TryGetValue(entry.Name, out var old)) graph.Input.Remove(old); // IR < 4 style: initializer listed as input
            graph.Input.Add(GraphBuilder.ValueInfo(entry.Name, entry.StorageType, entry.Shape.Cast<object>().ToArray()));
        }

        // 2. Frozen tensors with external data (or large inline data) -> frozen.bin, owned by ONNX Runtime.
        ExternalData.Move(graph, sourceDirectory, Path.Combine(outDir, "frozen.bin"), options.InlineLimitBytes);

        OnnxModelFile.Save(model, Path.Combine(outDir, "training.onnx"));
        FileChecksums.Write(outDir, ["training.onnx", "weights.bin", "frozen.bin"]);
        var manifest = new WeightManifest
        {
            SourceModel = sourcePath,
            BaseWeightsSha256 = sha256,
            Loss = options.Loss.Describe(),
            TrainablePatterns = options.Trainable,
            TrainTopLayers = options.TrainTopLayers,
            LoraSettings = options.Lora,
            ModelOutputs = modelOutputs,
            Tensors = entries,
            Lora = adapters,
        };
        manifest.Save(manifestPath);
        return PreparedModel.Open(outDir);
    }

    /// <summary>
    /// Whether <paramref name="patterns"/> select <paramref name="tensor"/> for training: a float
    /// tensor the patterns match, with two or more elements unless named exactly (scalars in exported
    /// graphs are operator constants).
    /// </summary>
    public static bool Selects(TensorProto tensor, NameGlob patterns)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(patterns);
        return OnnxDataType.IsTrainable(tensor.DataType)
               && (patterns.ExactNames.Contains(tensor.Name) || tensor.Dims.Aggregate(1L, (a, b) => a * b) >= 2)
               && patterns.Matches(tensor.Name);
    }

    private static void CheckOpset(ModelProto model, string path)
    {
        var opset = model.OpsetImport.FirstOrDefault(o => string.IsNullOrEmpty(o.Domain))?.Version ?? 0;
        if (opset < 13)
        {
            Throw.Bszo($"'{path}' uses ONNX opset {opset}.", "opset 13 or newer", $"opset {opset}",
                "re-export the model with a newer opset (tools/export uses 17).");
        }
    }
}
