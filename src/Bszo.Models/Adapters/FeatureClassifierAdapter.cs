using System.Globalization;
using Bszo.Ort;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Adapters;

/// <summary>
/// Adapter for classifiers over fixed-length float feature vectors (tabular data, precomputed
/// embeddings): one fp32 input [batch, features] and class logits [batch, classes].
/// </summary>
/// <remarks>
/// <para>The card has kind <c>feature-classifier</c>, names the input with role <c>features</c> and
/// the output with role <c>logits</c>, and lists the class names in <c>labels</c> (logit order).</para>
/// <para>An example's prompt is its feature vector written as numbers separated by spaces, commas
/// or semicolons, so any task template can produce it: a template <c>"{features}"</c> over a column
/// that holds the vector, or <c>"{x1} {x2} {x3}"</c> over one column per feature. The verbalizer
/// maps label values to classes; its words are not used by the model.</para>
/// </remarks>
public sealed class FeatureClassifierAdapter : ModelAdapter
{
    /// <summary>The card kind this adapter serves.</summary>
    public const string KindName = "feature-classifier";

    private static readonly char[] Separators = [' ', '\t', ',', ';', '\n', '\r'];

    // Each example is parsed once: training draws the same examples again every epoch.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<PromptedExample, float[]> _parsed = [];

    private FeatureClassifierAdapter(ModelCard card, string input, string logits)
        : base(card)
    {
        Input = input;
        Logits = logits;
    }

    public override string Kind => KindName;

    /// <summary>The graph input receiving the feature vectors.</summary>
    public string Input { get; }

    /// <summary>The graph output holding the class logits.</summary>
    public string Logits { get; }

    /// <summary>Creates the adapter for a card of kind <c>feature-classifier</c>.</summary>
    public static FeatureClassifierAdapter Create(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        if (card.Kind != KindName)
        {
            Throw.Bszo($"Model card in '{card.Directory}' is of kind '{card.Kind}'.", KindName, card.Kind);
        }
        return new FeatureClassifierAdapter(card, Role(card, card.Inputs, "features", "inputs"), Role(card, card.Outputs, "logits", "outputs"));
    }

    public override LossHead CreateLossHead() => ClassificationLossHead.Create(Logits);

    public override TensorBatch Collate(IReadOnlyList<PromptedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        var first = Features(examples[0]);
        int width = first.Length;
        var features = new float[examples.Count * width];
        var labels = new long[examples.Count];
        for (int i = 0; i < examples.Count; i++)
        {
            var row = i == 0 ? first : Features(examples[i]);
            if (row.Length != width)
            {
                Throw.Bszo($"Example {i} of the batch has {row.Length} features.", $"{width}, like the first example",
                    $"{row.Length}", "every prompt must hold the same number of values.");
            }
            row.CopyTo(features, i * width);
            CheckClasses(examples[i]);
            labels[i] = examples[i].Label;
        }
        var batch = new TensorBatch(examples.Count);
        try
        {
            return batch.Add(Input, features, examples.Count, width).Add("labels", labels, examples.Count);
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    public override string? ClassLogitsOutput => Logits;

    public override int[] Predict(TrainingGraphSession session, IReadOnlyList<PromptedExample> examples) => PredictFromBatch(session, examples);

    private void CheckClasses(PromptedExample example)
    {
        if (Card.Labels.Count > 0 && example.Candidates.Count != Card.Labels.Count)
        {
            Throw.Bszo($"The task has {example.Candidates.Count} classes, the model {Card.Labels.Count}.",
                $"{Card.Labels.Count} classes ({string.Join(", ", Card.Labels)})", $"{example.Candidates.Count}",
                "the verbalizer must list one entry per model class, in logit order.");
        }
    }

    private float[] Features(PromptedExample example) => _parsed.GetValue(example, Parse);

    private static float[] Parse(PromptedExample example)
    {
        var parts = example.Prompt.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
            {
                Throw.Bszo($"Prompt \"{Shorten(example.Prompt)}\" is not a feature vector.",
                    "finite numbers separated by spaces, commas or semicolons", $"'{parts[i]}'",
                    "the feature-classifier template must produce only numbers, e.g. \"{x1} {x2} {x3}\".");
            }
        }
        if (values.Length == 0) Throw.Bszo("An example has an empty feature vector.", "at least one number", "an empty prompt");
        return values;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    private static string Role(ModelCard card, Dictionary<string, string> map, string role, string section) =>
        map.TryGetValue(role, out var name) && !string.IsNullOrWhiteSpace(name)
            ? name
            : Throw.Bszo<string>($"Model card in '{card.Directory}' does not name its '{role}' {section[..^1]}.",
                $"\"{section}\": {{ \"{role}\": \"<graph {section[..^1]} name>\" }}", "nothing", "add it to bszo-model.json.");
}
