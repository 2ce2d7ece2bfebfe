using Bszo.Models.Data;
using Bszo.Models.Tasks;
using Bszo.Ort;

namespace Bszo.Cli;

/// <summary>Which task, which data, and how it is split: the options `finetune` and `eval` share.</summary>
internal sealed record TaskSettings
{
    public string Task { get; init; } = "sst2";

    public string? Dataset { get; init; }

    public string? Data { get; init; }

    public string? Train { get; init; }

    public string? Dev { get; init; }

    public string? Test { get; init; }

    public string? Template { get; init; }

    public string? Verbalizer { get; init; }

    public string LabelField { get; init; } = "label";

    public IReadOnlyList<string> Rename { get; init; } = [];

    public string DataFormat { get; init; } = "auto";

    public bool NoHeader { get; init; }

    public IReadOnlyList<string> Columns { get; init; } = [];

    public bool NoQuoting { get; init; }

    public int? NumTrain { get; init; }

    public int? NumDev { get; init; }

    public int? NumTest { get; init; }

    public int? KShot { get; init; }

    public ulong DataSeed { get; init; }

    /// <summary>Go ahead with settings that are legal but almost surely a mistake (see <see cref="Bszo.Models.Tasks.InputConcerns"/>).</summary>
    public bool AllowSuspicious { get; init; }

    /// <summary>The task: a built-in one by name, or a custom one from --template and --verbalizer.</summary>
    public PromptTask ResolveTask()
    {
        bool custom = Task.Equals("custom", StringComparison.OrdinalIgnoreCase);
        var builtIn = custom ? null : TaskRegistry.Get(Task); // an unknown name first: it is the bigger mistake
        if (custom)
        {
            if (Template is null || Verbalizer is null)
            {
                Throw.Bszo("Task 'custom' needs a prompt template and a verbalizer.",
                    "--template \"{sentence} It was\" --verbalizer '{\"0\":\" terrible\",\"1\":\" great\"}'",
                    Template is null ? "no --template" : "no --verbalizer");
            }
            return VerbalizedTask.Custom(Unescape(Template), Verbalizer, LabelField);
        }
        if (Template is not null || Verbalizer is not null)
        {
            Throw.Bszo($"--template and --verbalizer apply to --task custom, not to '{Task}'.",
                "--task custom", $"--task {Task}", $"built-in tasks bring their own prompts; use --task custom to give yours.");
        }
        return builtIn!;
    }

    /// <summary>Where the examples come from.</summary>
    public DataSource ResolveSource()
    {
        var format = DataFormat.Trim().ToLowerInvariant() switch
        {
            "auto" => Bszo.Models.Data.DataFormat.Auto,
            "jsonl" => Bszo.Models.Data.DataFormat.JsonLines,
            "json" => Bszo.Models.Data.DataFormat.Json,
            "csv" => Bszo.Models.Data.DataFormat.Csv,
            "tsv" => Bszo.Models.Data.DataFormat.Tsv,
            "parquet" => Bszo.Models.Data.DataFormat.Parquet,
            _ => Throw.Bszo<Bszo.Models.Data.DataFormat>($"Unknown data format '{DataFormat}'.", "auto, jsonl, json, csv, tsv or parquet", DataFormat),
        };
        var renames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in Rename)
        {
            var parts = r.Split('=', 2);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                Throw.Bszo($"--rename '{r}' is not of the form from=to.", "e.g. --rename text=sentence", r);
            }
            renames[parts[0]] = parts[1];
        }
        return new DataSource
        {
            Dataset = Dataset,
            Data = Data,
            Train = Train,
            Dev = Dev,
            Test = Test,
            Renames = renames,
            FileOptions = new DataFileOptions { Format = format, HasHeader = !NoHeader, Columns = Columns, Quoting = !NoQuoting },
        };
    }

    /// <summary>Split sizes: the options given, else the task's MeZO defaults.</summary>
    public SamplingOptions ResolveSampling(PromptTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new SamplingOptions
        {
            Train = NumTrain ?? task.DefaultSizes.Train,
            Dev = NumDev ?? task.DefaultSizes.Dev,
            Test = NumTest ?? task.DefaultSizes.Test,
            KPerClass = KShot,
            Seed = DataSeed,
        };
    }

    /// <summary>Loads the examples.</summary>
    public (PromptTask Task, DataSplits Data) Load(Action<string>? log)
    {
        var task = ResolveTask();
        return (task, TaskData.Load(task, ResolveSource(), ResolveSampling(task), log));
    }

    /// <summary>Command lines cannot easily hold line breaks: "\n" in a template is one.</summary>
    private static string Unescape(string template) => template.Replace("\\n", "\n", StringComparison.Ordinal);
}
