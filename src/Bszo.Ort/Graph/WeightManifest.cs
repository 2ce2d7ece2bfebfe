using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Bszo.Ort.Graph;

/// <summary>One trainable tensor: its name in the graph, its runtime element type, and where it lives in the weight file.</summary>
/// <param name="Name">Graph input name.</param>
/// <param name="Id">Stable index, also the noise stream id of the tensor.</param>
/// <param name="StorageType">ONNX element type the graph consumes (float, float16 or bfloat16).</param>
/// <param name="FileType">ONNX element type of the bytes in the weight file (the storage type, or float for fp32 masters).</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Offset">Byte offset in the weight file (64-byte aligned).</param>
public sealed record WeightEntry(string Name, int Id, int StorageType, int FileType, long[] Shape, long Offset)
{
    /// <summary>Number of elements.</summary>
    [JsonIgnore]
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes in the weight file.</summary>
    [JsonIgnore]
    public long FileBytes => ElementCount * OnnxDataType.ElementSize(FileType);
}

/// <summary>
/// Describes a prepared training model: the training graph, the weight file, the trainable tensors
/// and the loss head. Written last by <see cref="TrainingModelBuilder"/>, so its presence marks a complete directory.
/// </summary>
public sealed record WeightManifest
{
    /// <summary>Identifies the file format; bumped on incompatible change.</summary>
    public const string CurrentFormat = "bszo-weights/1";

    /// <summary>Manifest file name inside a prepared directory.</summary>
    public const string FileName = "manifest.json";

    public string Format { get; init; } = CurrentFormat;

    /// <summary>The model the directory was prepared from.</summary>
    public string SourceModel { get; init; } = "";

    /// <summary>SHA-256 of the trainable tensors' original bytes: identifies the base weights.</summary>
    public string BaseWeightsSha256 { get; init; } = "";

    /// <summary>Training graph file name, relative to the manifest.</summary>
    public string Graph { get; init; } = "training.onnx";

    /// <summary>Weight file name, relative to the manifest.</summary>
    public string Data { get; init; } = "weights.bin";

    /// <summary>The loss head description (see <see cref="LossHead.FromDescription"/>).</summary>
    public JsonObject Loss { get; init; } = [];

    /// <summary>The trainable-tensor patterns that were applied.</summary>
    public IReadOnlyList<string> TrainablePatterns { get; init; } = [];

    /// <summary>The number of top layers chosen to train (see <see cref="PrepareOptions.TrainTopLayers"/>); null when layers were not chosen.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? TrainTopLayers { get; init; }

    /// <summary>The LoRA settings the adapters were inserted with; null without LoRA.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LoraOptions? LoraSettings { get; init; }

    /// <summary>Outputs of the original model, still available in the training graph.</summary>
    public IReadOnlyList<string> ModelOutputs { get; init; } = [];

    /// <summary>The trainable tensors in id order.</summary>
    public IReadOnlyList<WeightEntry> Tensors { get; init; } = [];

    /// <summary>LoRA adapters inserted by the prepare step (empty without LoRA); see <see cref="LoraMerge"/>.</summary>
    public IReadOnlyList<LoraAdapter> Lora { get; init; } = [];

    /// <summary>Total trainable elements.</summary>
    [JsonIgnore]
    public long ElementCount => Tensors.Sum(t => t.ElementCount);

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    /// <summary>Reads a manifest file.</summary>
    public static WeightManifest Load(string path)
    {
        if (!File.Exists(path))
        {
            Throw.Bszo($"No weight manifest at '{path}'.", hint: "the directory is incomplete (manifest.json is written last); prepare the model again: `bszo prepare`, or `bszo finetune`, which prepares it itself.");
        }
        WeightManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<WeightManifest>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            manifest = Throw.Bszo<WeightManifest>(e, $"Weight manifest '{path}' is not valid JSON.", found: e.Message,
                hint: "the file was edited or truncated; prepare the model again.");
        }
        if (manifest is null || manifest.Format != CurrentFormat)
        {
            Throw.Bszo($"Weight manifest '{path}' has an unsupported format.", CurrentFormat, manifest?.Format ?? "null",
                "prepare the model again with this version of Bszo.");
        }
        return manifest;
    }

    /// <summary>Writes the manifest atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions));
}
