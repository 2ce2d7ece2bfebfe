using Bszo.Models.Data;
using Bszo.Models.Tasks;
using Bszo.Ort;

namespace Bszo.Models.SentenceEncoders;

/// <summary>The classification head attached to a sentence encoder.</summary>
public enum SentenceHead
{
    /// <summary>Rows are the normalised embeddings of the classes' prompts times a logit scale (scaled cosine similarity), bias 0.</summary>
    ZeroShot,

    /// <summary>A fresh linear layer over the normalised embedding, all weights and biases 0 (every class equally likely until trained).</summary>
    Linear,
}

/// <summary>One class of a sentence classifier: its name, and a sentence that stands for it (the zero-shot head's prompt).</summary>
/// <param name="Name">The class name, in logit order.</param>
/// <param name="Prompt">The sentence whose embedding defines the class for the zero-shot head.</param>
public sealed record ClassPrompt(string Name, string Prompt)
{
    /// <summary>
    /// The classes of a classification task: named after their label value, each with the task's
    /// template (its fields left empty) followed by the class's answer word, as a sentence:
    /// sst2's "{sentence} It was" + " great" gives "It was great.".
    /// </summary>
    public static IReadOnlyList<ClassPrompt> From(PromptTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task is not VerbalizedTask verbalized)
        {
            throw new BszoException(BszoException.Format($"A sentence encoder classifies texts; task '{task.Name}' is a {task.Kind.ToString().ToLowerInvariant()} task.",
                "a classification task with a verbalizer (sst2, sst5, trec, custom, ...)", task.Name,
                "choose a classification task, or a decoder model for this one."));
        }
        var empty = new System.Text.Json.Nodes.JsonObject();
        foreach (var field in verbalized.Template.Fields) empty[field] = "";
        var stem = verbalized.Template.Render(new DataRow(empty, "(class prompt)", 0));
        return verbalized.Verbalizer.Entries.Select(e => new ClassPrompt(e.Keys[^1], Sentence(stem + e.Word))).ToList();
    }

    private static string Sentence(string text)
    {
        var trimmed = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return trimmed.Length > 0 && char.IsLetterOrDigit(trimmed[^1]) ? trimmed + "." : trimmed;
    }
}

/// <summary>Options of <see cref="SentenceClassifier.Build"/>.</summary>
public sealed record SentenceClassifierOptions
{
    /// <summary>The classes, in logit order (at least two).</summary>
    public required IReadOnlyList<ClassPrompt> Classes { get; init; }

    /// <summary>Zero-shot (from the classes' prompts) or a fresh linear head.</summary>
    public SentenceHead Head { get; init; } = SentenceHead.ZeroShot;

    /// <summary>"mean", "cls" or "pooled" (see <see cref="SentencePooling"/>); null: the encoder card's.</summary>
    public string? Pooling { get; init; }

    /// <summary>Scale of the zero-shot head's unit rows: logits are cosine similarities times this (an inverse softmax temperature).</summary>
    public float LogitScale { get; init; } = 20f;

    /// <summary>Where built classifiers are kept (default: <c>models/classifiers</c> in the Bszo cache).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Progress messages.</summary>
    public Action<string>? Log { get; init; }
}
