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

        var adapters = options.Lora is null ? [] : LoraInsertion.Insert(graph, options.Lora);
        var adapterTensors = adapters.SelectMany(a => new[] { a.A, a.B }).ToHashSet(StringComparer.Ordinal);
        bool onlyAdapters = adapters.Count > 0 && options.Trainable.Count == 0;

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

        var trainable = graph.Initializer
            .Where(t => adapterTensors.Contains(t.Name)
                        || (!onlyAdapters
                            && OnnxDataType.IsTrainable(t.DataType)
                            && (glob.ExactNames.Contains(t.Name) || t.Dims.Aggregate(1L, (a, b) => a * b) >= 2)
                            && glob.Matches(t.Name)))
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
                    Pad(stream);
                    entries.Add(new WeightEntry(tensor.Name, entries.Count, tensor.DataType, tensor.DataType, info.Shape, stream.Position));
                    CopyRaw(tensor, info, stream, hash);
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
        AtomicFile.Write(Path.Combine(outDir, "frozen.bin"), stream =>
        {
            foreach (var tensor in GraphSurgery.AllTensors(graph).ToList())
            {
                bool external = tensor.DataLocation == TensorProto.Types.DataLocation.External;
                bool large = !external && tensor.RawData.Length > options.InlineLimitBytes;
                if (!external && !large) continue;
                var info = InitializerData.Describe(tensor, sourceDirectory);
                Pad(stream);
                long offset = stream.Position;
                CopyRaw(tensor, info, stream, hash: null);
                InitializerData.MakeExternal(tensor, "frozen.bin", offset, info.Length);
            }
        });

        // 3. The loss head.
        var modelOutputs = graph.Output.Select(o => o.Name).ToList();
        options.Loss.Attach(new GraphBuilder(graph));

        OnnxModelFile.Save(model, Path.Combine(outDir, "training.onnx"));
        FileChecksums.Write(outDir, ["training.onnx", "weights.bin", "frozen.bin"]);
        var manifest = new WeightManifest
        {
            SourceModel = sourcePath,
            BaseWeightsSha256 = sha256,
            Loss = options.Loss.Describe(),
            TrainablePatterns = options.Trainable,
            ModelOutputs = modelOutputs,
            Tensors = entries,
            Lora = adapters,
        };
        manifest.Save(manifestPath);
        return PreparedModel.Open(outDir);
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

    private static void Pad(Stream stream)
    {
        long pad = (Alignment - stream.Position % Alignment) % Alignment;
        for (long i = 0; i < pad; i++) stream.WriteByte(0);
    }

    /// <summary>Copies a tensor's bytes (as stored: little-endian, its own element type) to <paramref name="destination"/>.</summary>
    private static void CopyRaw(TensorProto tensor, InitializerInfo info, Stream destination, IncrementalHash? hash)
    {
        if (info.ExternalPath is not null)
        {
            using var source = new FileStream(info.ExternalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            source.Position = info.Offset;
            var buffer = new byte[1 << 20];
            long left = info.Length;
            while (left > 0)
            {
                int n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) Throw.Bszo($"External data for '{info.Name}' ended early in '{info.ExternalPath}'.", hint: "the file is truncated.");
                destination.Write(buffer, 0, n);
                hash?.AppendData(buffer, 0, n);
                left -= n;
            }
            return;
        }
        ReadOnlySpan<byte> bytes = tensor.RawData.Span;
        byte[]? converted = null;
        if (bytes.IsEmpty && info.ElementCount > 0)
        {
            converted = InlineToRaw(tensor, info);
            bytes = converted;
        }
        destination.Write(bytes);
        hash?.AppendData(bytes);
    }

    private static byte[] InlineToRaw(TensorProto tensor, InitializerInfo info)
    {
        int size = OnnxDataType.ElementSize(info.DataType);
        var raw = new byte[info.ElementCount * size];
        var span = raw.AsSpan();
        for (int i = 0; i < info.ElementCount; i++)
        {
            var slot = span.Slice(i * size, size);
            switch (info.DataType)
            {
                case OnnxDataType.Float: BitConverter.TryWriteBytes(slot, tensor.FloatData[i]); break;
                case OnnxDataType.Double: BitConverter.TryWriteBytes(slot, tensor.DoubleData[i]); break;
                case OnnxDataType.Int64: BitConverter.TryWriteBytes(slot, tensor.Int64Data[i]); break;
                case OnnxDataType.Float16 or OnnxDataType.BFloat16: BitConverter.TryWriteBytes(slot, (ushort)tensor.Int32Data[i]); break;
                case OnnxDataType.Int32: BitConverter.TryWriteBytes(slot, tensor.Int32Data[i]); break;
                default:
                    if (size == 1) slot[0] = (byte)tensor.Int32Data[i];
                    else Throw.Bszo($"Cannot copy inline data of '{info.Name}' ({OnnxDataType.Name(info.DataType)}).");
                    break;
            }
        }
        return raw;
    }
}
