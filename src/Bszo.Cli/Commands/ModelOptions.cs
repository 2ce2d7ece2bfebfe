using System.CommandLine;
using Bszo.Models.Adapters;
using Bszo.Models.SentenceEncoders;
using Bszo.Models.Tasks;
using Bszo.Ort;

namespace Bszo.Cli.Commands;

/// <summary>The options that name a model and shape a sentence encoder's classifier, shared by `finetune`, `eval` and `prepare`.</summary>
internal sealed class ModelOptions
{
    public Option<string?> Model { get; } = new("--model")
    {
        Description = $"A model name ({string.Join(", ", ModelResolver.Names.Select(n => n.Name))}; default {ModelResolver.DefaultName}), a model directory " +
                      "(with or without bszo-model.json), or an .onnx file. Fetched names are cached; a model without a card is inferred and the result printed.",
        HelpName = "name|dir|file",
    };

    public Option<string?> Head { get; } = new("--head")
    {
        Description = "Sentence encoders: zero-shot (rows from the embeddings of the classes' prompts; default) or linear (a fresh head, zeros).",
        HelpName = "zero-shot|linear",
    };

    public Option<string?> Pooling { get; } = new("--pooling")
    {
        Description = $"Sentence encoders: {string.Join(", ", SentencePooling.Modes)} (default: sentence-transformers' modules.json, else the mask-aware mean).",
        HelpName = "mode",
    };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Model, Head, Pooling }) command.Options.Add(o);
    }

    /// <summary>The request the options describe, for <paramref name="task"/>.</summary>
    public ModelRequest Read(ParseResult p, PromptTask? task) => new()
    {
        Model = p.GetValue(Model),
        Head = ParseHead(p.GetValue(Head)),
        Pooling = p.GetValue(Pooling) is string pooling ? SentencePooling.Parse(pooling) : null,
        Task = task,
    };

    /// <summary>A --head value.</summary>
    public static SentenceHead? ParseHead(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null => null,
        "zero-shot" => SentenceHead.ZeroShot,
        "linear" => SentenceHead.Linear,
        _ => throw new BszoException(BszoException.Format($"Unknown --head '{value}'.", "zero-shot or linear", value)),
    };
}
