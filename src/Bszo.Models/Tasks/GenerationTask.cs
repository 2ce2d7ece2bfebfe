using System.Text.Json.Nodes;
using Bszo.Models.Adapters;
using Bszo.Models.Data;
using Bszo.Ort;

namespace Bszo.Models.Tasks;

/// <summary>
/// A question-answering task trained on the gold answer (teacher forcing) and scored by token F1
/// of a greedily decoded answer (SQuAD, DROP).
/// </summary>
/// <remarks>
/// The example's candidates are all gold answers, each with a leading space (they follow the
/// prompt's final "Answer:"); <see cref="PromptedExample.Label"/> is 0, the answer trained on.
/// Scoring takes the best F1 over all of them, as SQuAD's official script does.
/// </remarks>
public sealed class GenerationTask : PromptTask
{
    private GenerationTask(string name, string description, PromptTemplate template, string answersField)
    {
        Name = name;
        Description = description;
        Template = template;
        AnswersField = answersField;
        Fields = [.. template.Fields, answersField];
    }

    public override string Name { get; }

    public override TaskKind Kind => TaskKind.Generation;

    public override string Description { get; }

    public override IReadOnlyList<string> Fields { get; }

    /// <summary>The prompt template (ends where the answer begins).</summary>
    public PromptTemplate Template { get; }

    /// <summary>The field holding the list of gold answers.</summary>
    public string AnswersField { get; }

    /// <summary>Creates a task.</summary>
    public static GenerationTask Create(string name, string description, string template, string answersField)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(answersField);
        return new GenerationTask(name, description, PromptTemplate.Create(template), answersField);
    }

    public override PromptedExample? Apply(DataRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var answers = row.TextList(AnswersField).Select(a => a.Trim()).Where(a => a.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (answers.Count == 0)
        {
            Throw.Bszo($"{row.Where} has no gold answer in '{AnswersField}'.", "at least one non-empty answer", "none",
                "remove unanswerable questions (SQuAD 2.0 style) from the data.");
        }
        return new PromptedExample(Template.Render(row), answers.Select(a => " " + a).ToList(), 0);
    }

    public override JsonObject Describe()
    {
        var d = base.Describe();
        d["template"] = Template.Text;
        d["answers"] = AnswersField;
        return d;
    }
}
