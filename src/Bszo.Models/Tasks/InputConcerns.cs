using System.Globalization;
using Bszo.Models.Data;

namespace Bszo.Models.Tasks;

/// <summary>
/// Tasks and data that are legal but almost surely a mistake: a template that reads no field (every
/// prompt the same), a verbalizer that gives two labels one answer (the model cannot tell them apart),
/// training data of a single class, rows whose text is empty. Each would train without an error and
/// give a meaningless result, so commands refuse them unless told to go ahead.
/// </summary>
public static class InputConcerns
{
    /// <summary>What looks wrong about <paramref name="task"/> and <paramref name="data"/>, one sentence each (empty: nothing).</summary>
    public static IReadOnlyList<string> Of(PromptTask task, DataSplits data)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(data);
        var concerns = new List<string>();
        if (task is VerbalizedTask verbalized)
        {
            if (verbalized.Template.Fields.Count == 0)
            {
                concerns.Add($"the template \"{verbalized.Template.Text}\" has no {{field}}: every example gets the same prompt, so nothing can be learned from the data");
            }
            foreach (var shared in verbalized.Verbalizer.Entries.GroupBy(e => e.Word, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                concerns.Add($"the verbalizer gives labels {string.Join(" and ", shared.Select(e => $"'{e.Keys[0]}'"))} the same answer '{shared.Key}': the model cannot tell them apart");
            }
        }
        if (task.Kind == TaskKind.Classification && data.Train.Count > 1 && data.Train.Select(e => e.Label).Distinct().Count() == 1)
        {
            concerns.Add($"every training example has the same label ({LabelName(task, data.Train[0].Label)}): the run can only learn to always answer it");
        }
        concerns.AddRange(data.Concerns);
        return concerns;
    }

    private static string LabelName(PromptTask task, int label) =>
        task is VerbalizedTask v && label < v.Verbalizer.Entries.Count
            ? $"'{v.Verbalizer.Entries[label].Keys[0]}'"
            : $"class {label.ToString(CultureInfo.InvariantCulture)}";
}
