using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;

namespace Bszo.Models.Adapters;

/// <summary>The tokenizer a model card names.</summary>
public sealed record TokenizerCard
{
    /// <summary>"unigram" (SentencePiece-style vocab.json of [piece, score]), "bpe" (vocab.json + merges.txt),
    /// "sentencepiece" (tokenizer.model), or "wordpiece" (vocab.txt).</summary>
    public string Type { get; init; } = "";

    /// <summary>Files relative to the card, by role (e.g. "vocab", "merges", "model").</summary>
    public Dictionary<string, string> Files { get; init; } = [];

    public int? BosId { get; init; }

    public int? EosId { get; init; }

    public int? PadId { get; init; }

    public int? UnkId { get; init; }

    /// <summary>Whether a leading space is added before the first word (byte-level BPE families).</summary>
    public bool AddPrefixSpace { get; init; }

    /// <summary>"unigram": ids below this are control symbols that segmentation never produces (except <see cref="UnkId"/>).</summary>
    public int? ReservedCount { get; init; }
}

/// <summary>
/// Fine-tuning settings measured to work for one model and one optimizer. `bszo finetune` takes
/// from it what the command line leaves open, when the run trains the card's own trainable tensors
/// (a learning rate found for 13k bias parameters says nothing about 7M matrix weights).
/// </summary>
public sealed record RecipeCard
{
    /// <summary>Learning rate η; null: the method's published default.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Perturbation scale ε; null: the method's published default.</summary>
    public double? Epsilon { get; init; }

    /// <summary>Optimizer steps; null: the command's default.</summary>
    public long? Steps { get; init; }

    /// <summary>Method-specific options (as <c>--optimizer-option key=value</c>), e.g. "prior-std".</summary>
    public Dictionary<string, string> Options { get; init; } = [];

    /// <summary>
    /// <paramref name="overrides"/> (optimizer options as <c>key=value</c>) with every option they leave
    /// open taken from this recipe: what they set wins.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ApplyTo(IReadOnlyList<KeyValuePair<string, string>> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var recipe = new List<KeyValuePair<string, string>>();
        if (LearningRate is double lr) recipe.Add(new("learningRate", lr.ToString("R", CultureInfo.InvariantCulture)));
        if (Epsilon is double eps) recipe.Add(new("epsilon", eps.ToString("R", CultureInfo.InvariantCulture)));
        recipe.AddRange(Options);
        return [.. recipe.Where(r => !overrides.Any(o => OptimizerOptionsJson.SameName(o.Key, r.Key))), .. overrides];
    }
}

/// <summary>
/// <c>bszo-model.json</c>: what Bszo needs to know about an exported ONNX model beyond the graph
/// itself: its kind, family, tokenizer, the names of its inputs and outputs, and defaults.
/// </summary>
public sealed record ModelCard
{
    public const string CurrentFormat = "bszo-model/1";

    public const string FileName = "bszo-model.json";

    public string Format { get; init; } = CurrentFormat;

    /// <summary>
    /// "encoder-classifier", "decoder-lm", "generic", "feature-classifier", or "sentence-encoder" (a
    /// model whose output is token states [batch, sequence, hidden]: inferred for directories without a
    /// card, and trained through the pooling and classification head Bszo attaches, see
    /// <see cref="SentenceEncoders.SentenceClassifier"/>).
    /// </summary>
    public string Kind { get; init; } = "";

    /// <summary>Architecture family ("use-lite", "gpt2", "opt", "llama", "qwen2", "bert", "roberta", ...).</summary>
    public string Family { get; init; } = "";

    /// <summary>A human-readable description, including provenance (e.g. "self-pretrained").</summary>
    public string Description { get; init; } = "";

    /// <summary>The ONNX file, relative to the card.</summary>
    public string Model { get; init; } = "model.onnx";

    public TokenizerCard? Tokenizer { get; init; }

    /// <summary>Role → graph input name ("input_ids", "attention_mask", "position_ids", ...).</summary>
    public Dictionary<string, string> Inputs { get; init; } = [];

    /// <summary>Role → graph output name ("logits", "loss", "embedding").</summary>
    public Dictionary<string, string> Outputs { get; init; } = [];

    /// <summary>
    /// Sentence encoders: how token states become one vector per text: "mean" (over the tokens the
    /// attention mask keeps), "cls" (the first token's state) or "pooled" (the graph's own pooled output).
    /// </summary>
    public string? Pooling { get; init; }

    /// <summary>Class names of a classification head, in logit order.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>Longest token sequence the model accepts.</summary>
    public int MaxLength { get; init; } = 512;

    /// <summary>Default trainable-tensor patterns (empty: all float tensors).</summary>
    public IReadOnlyList<string> Trainable { get; init; } = [];

    /// <summary>Fine-tuning recipes for the <see cref="Trainable"/> tensors, by optimizer name (see <see cref="RecipeFor"/>).</summary>
    public Dictionary<string, RecipeCard> Recipes { get; init; } = [];

    /// <summary>
    /// The recipe for <paramref name="optimizer"/> when a run trains <paramref name="trainable"/>;
    /// null when the card has none or the run chose its own tensors (a non-empty list that differs from the card's).
    /// </summary>
    public RecipeCard? RecipeFor(string optimizer, IReadOnlyList<string> trainable)
    {
        ArgumentNullException.ThrowIfNull(trainable);
        if (trainable.Count > 0 && !trainable.SequenceEqual(Trainable, StringComparer.Ordinal)) return null;
        return Recipes.FirstOrDefault(r => string.Equals(r.Key, optimizer, StringComparison.OrdinalIgnoreCase)).Value;
    }

    /// <summary>Whether Bszo inferred the card from a directory without one (see <see cref="ModelDirectory"/>).</summary>
    [JsonIgnore]
    public bool Inferred { get; init; }

    /// <summary>The card's directory (set when loaded).</summary>
    [JsonIgnore]
    public string Directory { get; init; } = "";

    /// <summary>Absolute path of a file named by the card.</summary>
    public string Resolve(string relative) => Path.Combine(Directory, relative);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Reads the card in <paramref name="directory"/>.</summary>
    public static ModelCard Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            throw new BszoException(BszoException.Format($"'{directory}' has no {FileName}.",
                "a model directory written by tools/export or `bszo export`", "no model card",
                "pass the directory (or its .onnx file) to --model instead: Bszo infers what it needs from the graph, config.json and the tokenizer files."));
        }
        ModelCard? card;
        try
        {
            card = JsonSerializer.Deserialize<ModelCard>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            card = Throw.Bszo<ModelCard?>(e, $"'{path}' is not a valid model card.", CurrentFormat, e.Message);
        }
        if (card is null || card.Format != CurrentFormat)
        {
            Throw.Bszo($"'{path}' has an unsupported format.", CurrentFormat, card?.Format ?? "null");
        }
        return card with { Directory = Path.GetFullPath(directory) };
    }

    /// <summary>Writes the card into <paramref name="directory"/> atomically.</summary>
    public void Save(string directory) => AtomicFile.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>The file a run keeps beside its prepared training graph: the card it was prepared from, inferred or read.</summary>
    public const string ResolvedFileName = "model-card.json";

    /// <summary>
    /// Writes the card as <see cref="ResolvedFileName"/> into <paramref name="directory"/>, with the
    /// model's directory, so the run can be evaluated, exported and resumed without inferring it again.
    /// </summary>
    public void SaveResolved(string directory)
    {
        var node = JsonSerializer.SerializeToNode(this, Json)!.AsObject();
        node["directory"] = Directory;
        AtomicFile.WriteAllText(Path.Combine(directory, ResolvedFileName), node.ToJsonString(Json));
    }

    /// <summary>Reads a card written by <see cref="SaveResolved"/>; null when <paramref name="directory"/> has none.</summary>
    public static ModelCard? LoadResolved(string directory)
    {
        var path = Path.Combine(directory, ResolvedFileName);
        if (!File.Exists(path)) return null;
        try
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var card = node.Deserialize<ModelCard>(Json)!;
            return card with { Directory = (string?)node["directory"] ?? "" };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new BszoException(BszoException.Format($"'{path}' is not a valid model card.", CurrentFormat, e.Message,
                "prepare the model again (`bszo prepare`, or a new `bszo finetune` run)."), e);
        }
    }
}
