using Bszo.Models.Adapters;
using Bszo.Models.Data;
using Bszo.Ort;

namespace Bszo.Models.Tasks;

/// <summary>
/// COPA (Roemmele et al., 2011) in MeZO's form: the premise without its final period, then " so"
/// (effect) or " because" (cause); the candidates are the two choices with their first letter
/// lower-cased (unless the choice starts with "I").
/// </summary>
public sealed class CopaTask : PromptTask
{
    private CopaTask()
    {
    }

    public override string Name => "copa";

    public override TaskKind Kind => TaskKind.MultipleChoice;

    public override string Description => "COPA: choose the more plausible cause or effect (premise, choice1, choice2, question, label)";

    public override IReadOnlyList<string> Fields => ["premise", "choice1", "choice2", "question", "label"];

    public override SplitSizes DefaultSizes => new(1000, 100, 1000);

    /// <summary>Creates the task.</summary>
    public static CopaTask Create() => new();

    public override PromptedExample? Apply(DataRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var question = row.Text("question").Trim().ToLowerInvariant();
        var connector = question switch
        {
            "cause" => " because",
            "effect" => " so",
            _ => Throw.Bszo<string>($"COPA row at {row.Where} has question '{question}'.", "'cause' or 'effect'", question),
        };
        var premise = PromptTemplate.ApplyFilter("strip_period", row.Text("premise").Trim());
        string[] candidates =
        [
            " " + PromptTemplate.ApplyFilter("lower_first", row.Text("choice1").Trim()),
            " " + PromptTemplate.ApplyFilter("lower_first", row.Text("choice2").Trim()),
        ];
        return new PromptedExample(premise + connector, candidates, ChoiceIndex(row, "label", candidates.Length));
    }

    internal static int ChoiceIndex(DataRow row, string field, int count)
    {
        var text = row.Text(field).Trim();
        if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var index)
            || index < 0 || index >= count)
        {
            Throw.Bszo($"Label '{text}' at {row.Where} is not a choice index.",
                $"0 to {count - 1}", $"'{text}'", "multiple-choice labels are the zero-based index of the correct choice.");
        }
        return index;
    }
}

/// <summary>
/// ReCoRD (Zhang et al., 2018) in MeZO's GPT-3 style: the passage with each "@highlight" line
/// turned into a "- " bullet, then a new bullet holding the query with "@placeholder" replaced by
/// each candidate entity. Fields follow the Hugging Face layout: passage, query, entities, answers.
/// </summary>
public sealed class RecordTask : PromptTask
{
    private RecordTask()
    {
    }

    public override string Name => "record";

    public override TaskKind Kind => TaskKind.MultipleChoice;

    public override string Description => "ReCoRD: fill the @placeholder of a query with an entity of the passage (passage, query, entities, answers)";

    public override IReadOnlyList<string> Fields => ["passage", "query", "entities", "answers"];

    /// <summary>Creates the task.</summary>
    public static RecordTask Create() => new();

    public override PromptedExample? Apply(DataRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var passage = row.Text("passage").Replace("@highlight\n", "- ", StringComparison.Ordinal);
        var query = row.Text("query");
        var entities = row.TextList("entities").Distinct(StringComparer.Ordinal).ToList();
        var answers = row.TextList("answers");
        if (!query.Contains("@placeholder", StringComparison.Ordinal))
        {
            Throw.Bszo($"ReCoRD query at {row.Where} has no @placeholder.", "a query containing @placeholder", query);
        }
        int label = entities.FindIndex(e => answers.Contains(e, StringComparer.Ordinal));
        if (label < 0)
        {
            Throw.Bszo($"ReCoRD row at {row.Where}: no answer is among the entities.",
                $"one of {string.Join(", ", answers)} in the entity list", string.Join(", ", entities));
        }
        var candidates = entities.Select(e => query.Replace("@placeholder", e, StringComparison.Ordinal)).ToList();
        return new PromptedExample(passage + "\n- ", candidates, label);
    }
}
