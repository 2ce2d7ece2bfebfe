using System.CommandLine;
using Bszo.Models.Adapters;
using Bszo.Models.Data;
using Bszo.Models.SentenceEncoders;
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

    public Option<string?> Loss { get; } = new("--loss")
    {
        Description = "Tensor models (inputs other than token ids, data from .npz): cross-entropy (class logits against 'label') or mse (against 'target'); " +
                      "default: the array the data holds.",
        HelpName = "cross-entropy|mse",
    };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Model, Head, Pooling, Loss }) command.Options.Add(o);
    }

    /// <summary>The request the options describe, for the task and data of <paramref name="task"/>.</summary>
    public ModelRequest Read(ParseResult p, TaskSettings task) => Request(p.GetValue(Model), p.GetValue(Head), p.GetValue(Pooling), p.GetValue(Loss), task);

    /// <summary>
    /// The request for --model, --head, --pooling and --loss as given (null: not given): the one place
    /// that turns them into a <see cref="ModelRequest"/>, for a command line or a run's saved settings.
    /// A tensor model's loss defaults to the one its .npz data asks for.
    /// </summary>
    public static ModelRequest Request(string? model, string? head, string? pooling, string? loss, TaskSettings task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new()
        {
            Model = model,
            Head = ParseHead(head),
            Pooling = pooling is null ? null : SentencePooling.Parse(pooling),
            Loss = ParseLoss(loss) ?? TensorTaskData.LossOf(task.ResolveSource()),
            Task = task.ResolveTask(),
        };
    }

    /// <summary>A --loss value.</summary>
    public static string? ParseLoss(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null => null,
        TensorAdapter.CrossEntropy or TensorAdapter.MeanSquaredError => value.Trim().ToLowerInvariant(),
        _ => throw new BszoException(BszoException.Format($"Unknown --loss '{value}'.", $"{TensorAdapter.CrossEntropy} or {TensorAdapter.MeanSquaredError}", value)),
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
