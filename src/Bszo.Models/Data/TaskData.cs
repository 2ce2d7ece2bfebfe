using System.Text.Json.Nodes;
using Bszo.Models.Adapters;
using Bszo.Models.Tasks;
using Bszo.Ort;

namespace Bszo.Models.Data;

/// <summary>Where a run's examples come from: a built-in dataset, one data file, or separate train/dev/test files.</summary>
public sealed record DataSource
{
    /// <summary>A built-in dataset (see <see cref="BuiltInDatasets"/>).</summary>
    public string? Dataset { get; init; }

    /// <summary>One file, split into train/dev/test by the sampling protocol.</summary>
    public string? Data { get; init; }

    /// <summary>The training file (dev and test are drawn from it unless given).</summary>
    public string? Train { get; init; }

    /// <summary>The dev file.</summary>
    public string? Dev { get; init; }

    /// <summary>The test file.</summary>
    public string? Test { get; init; }

    /// <summary>How the files are read.</summary>
    public DataFileOptions FileOptions { get; init; } = new();

    /// <summary>Column renames applied to every row before the task reads it (from → to).</summary>
    public IReadOnlyDictionary<string, string> Renames { get; init; } = new Dictionary<string, string>();

    /// <summary>This source, or the task's built-in dataset when it names no data at all.</summary>
    public DataSource ForTask(string taskName) =>
        Dataset is null && Data is null && Train is null && BuiltInDatasets.DefaultFor(taskName) is string dataset ? this with { Dataset = dataset } : this;

    /// <summary>A short description for messages and summaries.</summary>
    public string Describe() =>
        Dataset is not null ? $"dataset {Dataset}" : Data is not null ? $"'{Data}'" : $"'{Train}'{(Dev is null ? "" : $" + '{Dev}'")}{(Test is null ? "" : $" + '{Test}'")}";
}

/// <summary>Loads a task's examples: reads the rows, applies the task's template to every row (so bad rows fail early), samples the splits.</summary>
public static class TaskData
{
    /// <summary>The train/dev/test examples of <paramref name="task"/> from <paramref name="source"/>.</summary>
    public static DataSplits Load(PromptTask task, DataSource source, SamplingOptions sampling, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(source);
        var dataset = source.ForTask(task.Name).Dataset;
        if (dataset is null && source.Data is null && source.Train is null)
        {
            dataset = BuiltInDatasets.DefaultFor(task.Name) ?? Throw.Bszo<string>(
                $"Task '{task.Name}' needs data.", "--data FILE, or --train FILE [--dev FILE] [--test FILE]", "none",
                $"only sst2 has a built-in default (pang-lee); other built-in datasets: {string.Join(", ", BuiltInDatasets.Names)}.");
        }
        if (source.Data is not null && source.Train is not null)
        {
            Throw.Bszo("Both --data and --train were given.", "one of them", $"--data {source.Data} and --train {source.Train}");
        }

        IReadOnlyList<DataRow> trainRows = dataset is not null
            ? BuiltInDatasets.Load(dataset, log)
            : DataFile.Read(source.Data ?? source.Train!, source.FileOptions);
        var concerns = new List<string>();
        var train = Prompt(task, trainRows, source.Renames, concerns);
        var dev = source.Dev is null ? null : Prompt(task, DataFile.Read(source.Dev, source.FileOptions), source.Renames, concerns);
        var test = source.Test is null ? null : Prompt(task, DataFile.Read(source.Test, source.FileOptions), source.Renames, concerns);
        return SplitSampler.Sample(train, dev, test, sampling, (source with { Dataset = dataset }).Describe()) with { Concerns = concerns };
    }

    /// <summary>Applies the task to every row; renames columns first.</summary>
    public static List<PromptedExample> Prompt(PromptTask task, IReadOnlyList<DataRow> rows, IReadOnlyDictionary<string, string>? renames = null) =>
        Prompt(task, rows, renames, concerns: null);

    /// <summary>Applies the task to every row, noting in <paramref name="concerns"/> the rows whose text fields are empty.</summary>
    private static List<PromptedExample> Prompt(PromptTask task, IReadOnlyList<DataRow> rows, IReadOnlyDictionary<string, string>? renames, List<string>? concerns)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(rows);
        var examples = new List<PromptedExample>(rows.Count);
        var empty = new Dictionary<string, (int Rows, string First)>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var renamed = renames is null || renames.Count == 0 ? row : Rename(row, renames);
            if (task.Apply(renamed) is not { } example) continue;
            examples.Add(example);
            foreach (var field in task.Fields)
            {
                if (renamed.Find(field) is not { } value || !string.IsNullOrWhiteSpace(DataRow.AsText(value))) continue;
                var seen = empty.GetValueOrDefault(field, (Rows: 0, First: renamed.Where));
                empty[field] = (seen.Rows + 1, seen.First);
            }
        }
        foreach (var (field, (count, first)) in empty)
        {
            concerns?.Add(count == 1
                ? $"{first} has an empty '{field}': its prompt carries no text of its own"
                : $"{count} rows have an empty '{field}' (the first at {first}): their prompts carry no text of their own");
        }
        return examples;
    }

    private static DataRow Rename(DataRow row, IReadOnlyDictionary<string, string> renames)
    {
        var fields = new JsonObject();
        foreach (var (key, value) in row.Fields) fields[renames.TryGetValue(key, out var to) ? to : key] = value?.DeepClone();
        return row with { Fields = fields };
    }
}
