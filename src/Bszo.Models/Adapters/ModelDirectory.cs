using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Models.SentenceEncoders;
using Bszo.Onnx;
using Bszo.Ort;
using Bszo.Ort.Graph;

namespace Bszo.Models.Adapters;

/// <summary>
/// Opens a model: a directory written by tools/export or `bszo export` (read from its
/// <c>bszo-model.json</c>), any other directory holding an ONNX model, or the path of an <c>.onnx</c>
/// file. Without a card, one is inferred from the graph, <c>config.json</c> and the tokenizer files
/// beside it; its <see cref="ModelCard.Description"/> says what was inferred and why.
/// </summary>
/// <remarks>
/// A rank-3 output is taken for a language model's logits only with evidence: its last dimension is
/// the vocabulary size, or <c>config.json</c> names a causal language model. Without evidence it is
/// read as token states, and the model as a sentence encoder.
/// </remarks>
public static class ModelDirectory
{
    private static readonly string[] TokenInputs = ["input_ids", "attention_mask", "position_ids", "token_type_ids"];

    /// <summary>Hugging Face <c>model_type</c>s of decoder-only language models.</summary>
    private static readonly HashSet<string> CausalFamilies = new(StringComparer.Ordinal)
    {
        "gpt2", "gpt_neo", "gpt_neox", "gptj", "opt", "llama", "mistral", "mixtral", "qwen2", "qwen3", "phi", "phi3", "gemma", "gemma2", "falcon", "bloom",
        "codegen", "starcoder2", "olmo", "stablelm", "mpt",
    };

    /// <summary>The card of the model at <paramref name="path"/> (a directory or an .onnx file); nothing is written.</summary>
    public static ModelCard Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            if (!full.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            {
                Throw.Bszo($"'{path}' is not an ONNX model.", "a model directory or an .onnx file", Path.GetFileName(full),
                    "pass the directory that holds the model, or its .onnx file.");
            }
            var directory = Path.GetDirectoryName(full)!;
            if (File.Exists(Path.Combine(directory, ModelCard.FileName)))
            {
                var card = ModelCard.Load(directory);
                if (string.Equals(Path.GetFullPath(card.Resolve(card.Model)), full, StringComparison.Ordinal)) return card;
            }
            return Infer(directory, full);
        }
        if (!Directory.Exists(full))
        {
            Throw.Bszo($"Model '{path}' does not exist.", "a model directory or an .onnx file", "no such file or directory",
                "check the path.");
        }
        return File.Exists(Path.Combine(full, ModelCard.FileName)) ? ModelCard.Load(full) : Infer(full, FindModel(full));
    }

    private static ModelCard Infer(string directory, string modelPath)
    {
        var graph = OnnxModelFile.Load(modelPath).Graph;
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Select(i => i.Name).Where(n => !initializers.Contains(n)).ToList();
        var unknown = inputs.Where(n => !TokenInputs.Contains(n)).ToList();
        if (!inputs.Contains("input_ids") || unknown.Count > 0)
        {
            Throw.Bszo($"'{modelPath}' has inputs the generic path cannot feed.",
                string.Join(", ", TokenInputs), string.Join(", ", inputs),
                "export the model without past key/values (a plain forward pass: token ids in, logits or loss out).");
        }
        var config = ReadConfig(directory);
        var family = (string?)config?["model_type"] ?? "";
        var (tokenizer, vocabulary) = TokenizerInference.Infer(directory, family, config);
        var (kind, outputs, reason) = Outputs(graph, modelPath, config, vocabulary);
        string? pooling = null;
        if (kind == SentenceClassifier.EncoderKind)
        {
            var (mode, why) = SentencePooling.FromDirectory(directory);
            pooling = mode;
            reason += $"; pooling: {mode} ({why})";
        }
        return new ModelCard
        {
            Kind = kind,
            Family = family,
            Description = $"inferred by Bszo from {Path.GetFileName(modelPath)} (no {ModelCard.FileName}): {reason}",
            Model = Path.GetFileName(modelPath),
            Tokenizer = tokenizer,
            Inputs = inputs.ToDictionary(n => n, n => n),
            Outputs = outputs,
            Pooling = pooling,
            Labels = kind == GenericAdapter.KindName ? Labels(config) : [],
            MaxLength = MaxLength(config, family, graph),
            Directory = directory,
            Inferred = true,
        };
    }

    private static string FindModel(string directory)
    {
        var preferred = Path.Combine(directory, "model.onnx");
        if (File.Exists(preferred)) return preferred;
        var all = Directory.GetFiles(directory, "*.onnx");
        if (all.Length == 1) return all[0];
        return Throw.Bszo<string>($"'{directory}' has {(all.Length == 0 ? "no" : "several")} ONNX files and no {ModelCard.FileName}.",
            "model.onnx (or exactly one .onnx file)", all.Length == 0 ? "none" : string.Join(", ", all.Select(Path.GetFileName)),
            "pass the .onnx file to use to --model.");
    }

    private static JsonNode? ReadConfig(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            return Throw.Bszo<JsonNode?>(e, $"'{path}' is not valid JSON.", "a Hugging Face config.json", e.Message);
        }
    }

    /// <summary>What the model's outputs are, and why: a per-example loss, class logits, a language model's logits, or token states.</summary>
    private static (string Kind, Dictionary<string, string> Outputs, string Reason) Outputs(GraphProto graph, string path, JsonNode? config, int? tokenizerVocabulary)
    {
        var loss = graph.Output.FirstOrDefault(o => o.Name == "loss");
        if (loss is not null) return (GenericAdapter.KindName, new() { ["loss"] = loss.Name }, "output 'loss' is the per-example loss");
        var logits = graph.Output.FirstOrDefault(o => o.Name == "logits") ?? (graph.Output.Count == 1 ? graph.Output[0] : null);
        if (logits is not null && Rank(logits) == 2)
        {
            return (GenericAdapter.KindName, new() { ["logits"] = logits.Name }, $"output '{logits.Name}' {Shape(logits)} holds class logits");
        }
        var tokenStates = graph.Output.Where(o => Rank(o) == 3).ToList();
        if (tokenStates.Count == 0)
        {
            Throw.Bszo($"'{path}' has no output Bszo can train from.",
                "class logits [batch, classes], language-model logits [batch, sequence, vocabulary], token states [batch, sequence, hidden] or a loss [batch]",
                string.Join(", ", graph.Output.Select(o => $"{o.Name} {Shape(o)}")), "export the model with one of those outputs.");
        }
        var candidate = logits is not null && Rank(logits) == 3 ? logits : tokenStates[0];
        var evidence = LanguageModelEvidence(candidate, config, tokenizerVocabulary);
        if (evidence is not null)
        {
            return (DecoderLmAdapter.KindName, new() { ["logits"] = candidate.Name }, $"output '{candidate.Name}' {Shape(candidate)} holds language-model logits ({evidence})");
        }
        var hidden = tokenStates.FirstOrDefault(o => o.Name == "last_hidden_state") ?? candidate;
        var outputs = new Dictionary<string, string> { [SentenceClassifier.HiddenRole] = hidden.Name };
        var pooled = graph.Output.FirstOrDefault(o => Rank(o) == 2);
        if (pooled is not null) outputs[SentenceClassifier.PooledRole] = pooled.Name;
        int? vocabulary = ConfigInt(config, "vocab_size") ?? tokenizerVocabulary;
        return (SentenceClassifier.EncoderKind, outputs,
            $"output '{hidden.Name}' {Shape(hidden)} read as token states: nothing says it is a language model's logits " +
            $"({(config is null ? "there is no config.json" : "config.json names no causal language model")}, and its last dimension is not the vocabulary size{(vocabulary is int v ? $" {v}" : "")})" +
            (pooled is null ? "" : $"; pooled output '{pooled.Name}' {Shape(pooled)}"));
    }

    /// <summary>Why <paramref name="output"/> holds a language model's logits, or null when nothing says so.</summary>
    private static string? LanguageModelEvidence(ValueInfoProto output, JsonNode? config, int? tokenizerVocabulary)
    {
        var dims = output.Type?.TensorType?.Shape?.Dim;
        long last = dims is { Count: > 0 } && dims[^1].HasDimValue ? dims[^1].DimValue : -1;
        foreach (var vocabulary in new[] { ConfigInt(config, "vocab_size"), tokenizerVocabulary })
        {
            if (vocabulary is int v && last == v) return $"its last dimension is the vocabulary size {v}";
        }
        if (output.Name == "last_hidden_state") return null;
        var architectures = (config?["architectures"] as JsonArray)?.Select(a => (string?)a ?? "").ToList() ?? [];
        var causal = architectures.FirstOrDefault(a => a.EndsWith("ForCausalLM", StringComparison.Ordinal) || a.EndsWith("LMHeadModel", StringComparison.Ordinal));
        if (causal is not null) return $"config.json names the architecture {causal}";
        var family = (string?)config?["model_type"];
        if (output.Name == "logits" && family is not null && CausalFamilies.Contains(family)) return $"config.json model_type '{family}' is a causal language model";
        return null;
    }

    private static int Rank(ValueInfoProto value) => value.Type?.TensorType?.Shape?.Dim.Count ?? 0;

    private static string Shape(ValueInfoProto value) =>
        "[" + string.Join(", ", value.Type?.TensorType?.Shape?.Dim.Select(Dimension) ?? []) + "]";

    // Exporters name symbolic axes "batch" or "sequence", or after the node that made them; only the short names help a reader.
    private static string Dimension(TensorShapeProto.Types.Dimension d) =>
        d.HasDimValue ? d.DimValue.ToString(CultureInfo.InvariantCulture) : d.DimParam is { Length: > 0 and <= 16 } name ? name : "?";

    private static int? ConfigInt(JsonNode? config, string key) => config?[key] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;

    private static List<string> Labels(JsonNode? config)
    {
        if (config?["id2label"] is not JsonObject id2label) return [];
        return id2label.Select(kv => (Index: int.Parse(kv.Key, CultureInfo.InvariantCulture), Name: (string?)kv.Value ?? kv.Key))
            .OrderBy(x => x.Index).Select(x => x.Name).ToList();
    }

    /// <summary>From config.json, else the rows of the graph's position-embedding table, else 512.</summary>
    private static int MaxLength(JsonNode? config, string family, GraphProto graph)
    {
        if (family == "roberta" && ConfigInt(config, "max_position_embeddings") is int p) return p - (ConfigInt(config, "pad_token_id") ?? 1) - 1;
        var positions = graph.Initializer.FirstOrDefault(t => t.Dims.Count == 2 && t.Name.Contains("position_embeddings", StringComparison.Ordinal));
        return ConfigInt(config, "max_position_embeddings") ?? ConfigInt(config, "n_positions") ?? (positions is null ? 512 : (int)positions.Dims[0]);
    }
}
