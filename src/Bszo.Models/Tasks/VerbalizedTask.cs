using System.Text.Json.Nodes;
using Bszo.Models.Adapters;
using Bszo.Models.Data;
using Bszo.Ort;

namespace Bszo.Models.Tasks;

/// <summary>
/// A classification task written as data: a prompt template and a verbalizer. The candidates of
/// every example are the verbalizer's words; the label is the class of the row's label field.
/// </summary>
public sealed class VerbalizedTask : PromptTask
{
    private readonly IReadOnlySet<string> _skipLabels;

    private VerbalizedTask(string name, string description, PromptTemplate template, Verbalizer verbalizer, string labelField,
        SplitSizes sizes, IReadOnlySet<string> skipLabels)
    {
        Name = name;
        Description = description;
        Template = template;
        Verbalizer = verbalizer;
        LabelField = labelField;
        DefaultSizes = sizes;
        _skipLabels = skipLabels;
        Fields = [.. template.Fields, labelField];
    }

    public override string Name { get; }

    public override TaskKind Kind => TaskKind.Classification;

    public override string Description { get; }

    public override IReadOnlyList<string> Fields { get; }

    public override SplitSizes DefaultSizes { get; }

    /// <summary>The prompt template.</summary>
    public PromptTemplate Template { get; }

    /// <summary>Label values → class index and answer word.</summary>
    public Verbalizer Verbalizer { get; }

    /// <summary>The field holding the label.</summary>
    public string LabelField { get; }

    /// <summary>Creates a task.</summary>
    /// <param name="name">Registry name.</param>
    /// <param name="description">One line for help texts.</param>
    /// <param name="template">The prompt template (see <see cref="PromptTemplate"/>).</param>
    /// <param name="verbalizer">Label values → class and answer word.</param>
    /// <param name="labelField">The field holding the label.</param>
    /// <param name="sizes">Split sizes (MeZO's by default).</param>
    /// <param name="skipLabels">Label values that mark rows without a gold label (left out, not errors).</param>
    public static VerbalizedTask Create(string name, string description, string template, Verbalizer verbalizer,
        string labelField = "label", SplitSizes? sizes = null, IEnumerable<string>? skipLabels = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(verbalizer);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelField);
        return new VerbalizedTask(name, description, PromptTemplate.Create(template), verbalizer, labelField,
            sizes ?? SplitSizes.Mezo, (skipLabels ?? []).ToHashSet(StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>
    /// A task from a data file of your own: a template such as <c>"{sentence} It was"</c> and a
    /// verbalizer such as <c>{"0":" terrible","1":" great"}</c>.
    /// </summary>
    public static VerbalizedTask Custom(string template, string verbalizerJson, string labelField = "label") =>
        Create("custom", "your own data: a prompt template and a verbalizer", template, Verbalizer.Parse(verbalizerJson), labelField);

    public override PromptedExample? Apply(DataRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var label = row.Text(LabelField);
        if (_skipLabels.Contains(label.Trim())) return null;
        int index = Verbalizer.IndexOf(label);
        if (index < 0)
        {
            Throw.Bszo($"Label '{label}' at {row.Where} is not in the verbalizer of task '{Name}'.",
                $"one of {string.Join(", ", Verbalizer.Keys.Select(k => $"'{k}'"))}", $"'{label}'",
                "fix the row, or add the label to the verbalizer (--verbalizer '{\"0\":\" terrible\",\"1\":\" great\"}').");
        }
        return new PromptedExample(Template.Render(row), Verbalizer.Words, index);
    }

    public override JsonObject Describe()
    {
        var d = base.Describe();
        d["template"] = Template.Text;
        d["verbalizer"] = Verbalizer.ToJson();
        d["labelField"] = LabelField;
        return d;
    }
}
