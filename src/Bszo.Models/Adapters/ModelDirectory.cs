using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;
using Bszo.Ort.Graph;

namespace Bszo.Models.Adapters;

/// <summary>
/// Opens a model directory: one written by tools/export (read from its <c>bszo-model.json</c>), or an
/// Optimum-style export without a card (model.onnx + model.onnx_data, config.json, tokenizer files),
/// for which a card is inferred from the graph, config.json and the tokenizer files present.
/// </summary>
public static class ModelDirectory
{
    private static readonly string[] KnownInputs = ["input_ids", "attention_mask", "position_ids", "token_type_ids"];

    /// <summary>The card of the model in <paramref name="directory"/>; nothing is written.</summary>
    public static ModelCard Open(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (File.Exists(Path.Combine(directory, ModelCard.FileName))) return ModelCard.Load(directory);
        if (!Directory.Exists(directory))
        {
            Throw.Bszo($"Model directory '{directory}' does not exist.", hint: "check the path.");
        }
        return Infer(Path.GetFullPath(directory));
    }

    private static ModelCard Infer(string directory)
    {
        var modelPath = FindModel(directory);
        var graph = OnnxModelFile.Load(modelPath).Graph;
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Select(i => i.Name).Where(n => !initializers.Contains(n)).ToList();
        var unknown = inputs.Where(n => !KnownInputs.Contains(n)).ToList();
        if (!inputs.Contains("input_ids") || unknown.Count > 0)
        {
            Throw.Bszo($"'{modelPath}' has inputs the generic path cannot feed.",
                string.Join(", ", KnownInputs), string.Join(", ", inputs),
                "export the model without past key/values (a plain forward pass: token ids in, logits or loss out).");
        }
        var config = ReadConfig(directory);
        var family = (string?)config?["model_type"] ?? "";
        var (kind, outputs) = Outputs(graph, modelPath);
        var tokenizer = TokenizerFiles(directory, family, config);
        return new ModelCard
        {
            Kind = kind,
            Family = family,
            Description = $"inferred from an Optimum-style export in {Path.GetFileName(directory)} (no {ModelCard.FileName})",
            Model = Path.GetFileName(modelPath),
            Tokenizer = tokenizer,
            Inputs = inputs.ToDictionary(n => n, n => n),
            Outputs = outputs,
            Labels = Labels(config),
            MaxLength = MaxLength(config, family),
            Directory = directory,
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
            "export the model with tools/export, or keep one .onnx file per directory.");
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

    private static (string Kind, Dictionary<string, string> Outputs) Outputs(Bszo.Onnx.GraphProto graph, string path)
    {
        var logits = graph.Output.FirstOrDefault(o => o.Name == "logits") ?? (graph.Output.Count == 1 ? graph.Output[0] : null);
        var loss = graph.Output.FirstOrDefault(o => o.Name == "loss");
        if (logits is not null && loss is null)
        {
            int rank = logits.Type?.TensorType?.Shape?.Dim.Count ?? 0;
            if (rank == 3) return (DecoderLmAdapter.KindName, new() { ["logits"] = logits.Name });
            if (rank == 2) return (GenericAdapter.KindName, new() { ["logits"] = logits.Name });
        }
        if (loss is not null) return (GenericAdapter.KindName, new() { ["loss"] = loss.Name });
        return Throw.Bszo<(string Kind, Dictionary<string, string> Outputs)>($"'{path}' has no output the generic path understands.",
            "logits [batch, classes], logits [batch, sequence, vocabulary] or loss [batch]",
            string.Join(", ", graph.Output.Select(o => $"{o.Name} (rank {o.Type?.TensorType?.Shape?.Dim.Count ?? 0})")));
    }

    private static TokenizerCard TokenizerFiles(string directory, string family, JsonNode? config)
    {
        bool Has(string name) => File.Exists(Path.Combine(directory, name));
        int? FromConfig(string key) => config?[key] is JsonValue v && v.TryGetValue<int>(out var id) ? id : null;
        bool prependsBos = family is "opt" or "llama";
        if (Has("vocab.json") && Has("merges.txt") || Has("tokenizer.json") && !Has("vocab.txt") && !Has("tokenizer.model"))
        {
            var files = Has("vocab.json") && Has("merges.txt")
                ? new Dictionary<string, string> { ["vocab"] = "vocab.json", ["merges"] = "merges.txt" }
                : new Dictionary<string, string> { ["tokenizer"] = "tokenizer.json" };
            var vocab = Has("vocab.json") ? JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "vocab.json"))) : null;
            int? Lookup(string token) => vocab?[token] is JsonValue v && v.TryGetValue<int>(out var id) ? id : null;
            if (family == "roberta" || Lookup("<s>") is not null && Lookup("</s>") is not null && family != "opt")
            {
                return new TokenizerCard { Type = "bpe", Files = files, BosId = Lookup("<s>"), EosId = Lookup("</s>"), PadId = Lookup("<pad>"), UnkId = Lookup("<unk>") };
            }
            return new TokenizerCard
            {
                Type = "bpe", Files = files, BosId = prependsBos ? FromConfig("bos_token_id") : null, EosId = FromConfig("eos_token_id"),
                PadId = FromConfig("pad_token_id") ?? FromConfig("eos_token_id"),
            };
        }
        if (Has("tokenizer.model"))
        {
            return new TokenizerCard
            {
                Type = "sentencepiece", Files = new() { ["model"] = "tokenizer.model" }, BosId = FromConfig("bos_token_id") ?? 1,
                EosId = FromConfig("eos_token_id") ?? 2, PadId = FromConfig("pad_token_id") ?? FromConfig("eos_token_id") ?? 0,
            };
        }
        if (Has("vocab.txt"))
        {
            var tokens = File.ReadAllLines(Path.Combine(directory, "vocab.txt"));
            int? Index(string token) => Array.IndexOf(tokens, token) is var i && i >= 0 ? i : null;
            var files = new Dictionary<string, string> { ["vocab"] = "vocab.txt" };
            if (Has("tokenizer_config.json")) files["config"] = "tokenizer_config.json";
            return new TokenizerCard { Type = "wordpiece", Files = files, BosId = Index("[CLS]"), EosId = Index("[SEP]"), PadId = Index("[PAD]"), UnkId = Index("[UNK]") };
        }
        return Throw.Bszo<TokenizerCard>($"'{directory}' has no tokenizer files Bszo can read.",
            "vocab.json + merges.txt, tokenizer.json (byte-level BPE), tokenizer.model or vocab.txt",
            string.Join(", ", Directory.GetFiles(directory).Select(Path.GetFileName)), "copy the tokenizer files of the model next to it.");
    }

    private static List<string> Labels(JsonNode? config)
    {
        if (config?["id2label"] is not JsonObject id2label) return [];
        return id2label.Select(kv => (Index: int.Parse(kv.Key, System.Globalization.CultureInfo.InvariantCulture), Name: (string?)kv.Value ?? kv.Key))
            .OrderBy(x => x.Index).Select(x => x.Name).ToList();
    }

    private static int MaxLength(JsonNode? config, string family)
    {
        int? Value(string key) => config?[key] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;
        if (family == "roberta" && Value("max_position_embeddings") is int p) return p - (Value("pad_token_id") ?? 1) - 1;
        return Value("max_position_embeddings") ?? Value("n_positions") ?? 512;
    }
}
