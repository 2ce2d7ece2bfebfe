using System.CommandLine;

namespace Bszo.Cli.Commands;

/// <summary>The task and data options, shared by `finetune` and `eval`.</summary>
internal sealed class TaskOptions
{
    public Option<string> Task { get; } = new("--task") { Description = "Task name (sst2, sst5, rte, cb, boolq, wsc, wic, multirc, copa, record, trec, snli, mnli, squad, drop) or custom.", DefaultValueFactory = _ => "sst2", HelpName = "name" };

    public Option<string?> Dataset { get; } = new("--dataset") { Description = "A built-in dataset: pang-lee (sst2's default), uci-imdb, uci-yelp, uci-amazon. Fetched on first use.", HelpName = "name" };

    public Option<string?> Data { get; } = new("--data") { Description = "One data file (JSONL, JSON, CSV, TSV or Parquet), split into train/dev/test.", HelpName = "file" };

    public Option<string?> Train { get; } = new("--train") { Description = "Training file (dev and test are drawn from it unless given).", HelpName = "file" };

    public Option<string?> Dev { get; } = new("--dev") { Description = "Dev file (evaluation during training, early stopping, best weights).", HelpName = "file" };

    public Option<string?> Test { get; } = new("--test") { Description = "Test file (scored once, with the best weights).", HelpName = "file" };

    public Option<string?> Template { get; } = new("--template") { Description = "Custom task: the prompt, with {field} placeholders, e.g. \"{sentence} It was\".", HelpName = "text" };

    public Option<string?> Verbalizer { get; } = new("--verbalizer") { Description = "Custom task: label value → answer word, as JSON, e.g. '{\"0\":\" terrible\",\"1\":\" great\"}'.", HelpName = "json" };

    public Option<string> LabelField { get; } = new("--label-field") { Description = "Custom task: the field holding the label.", DefaultValueFactory = _ => "label", HelpName = "field" };

    public Option<string[]> Rename { get; } = new("--rename") { Description = "Rename a data column before the task reads it (repeatable), e.g. --rename text=sentence.", HelpName = "from=to" };

    public Option<string> DataFormat { get; } = new Option<string>("--data-format") { Description = "auto (from the extension), jsonl, json, csv, tsv or parquet.", DefaultValueFactory = _ => "auto", HelpName = "format" }.OneOf("auto", "jsonl", "json", "csv", "tsv", "parquet");

    public Option<bool> NoHeader { get; } = new("--no-header") { Description = "CSV/TSV files have no header row (name the columns with --columns)." };

    public Option<string[]> Columns { get; } = new("--columns") { Description = "CSV/TSV column names when there is no header (repeatable or comma-separated).", HelpName = "names" };

    public Option<bool> NoQuoting { get; } = new("--no-quoting") { Description = "CSV/TSV: treat quote characters as text (GLUE-style TSV)." };

    public Option<int?> NumTrain { get; } = new Option<int?>("--num-train") { Description = "Training examples sampled (MeZO: 1000).", HelpName = "n" }.AtLeast(1);

    public Option<int?> NumDev { get; } = new Option<int?>("--num-dev") { Description = "Dev examples sampled (MeZO: 500; CB and COPA: 100).", HelpName = "n" }.AtLeast(1);

    public Option<int?> NumTest { get; } = new Option<int?>("--num-test") { Description = "Test examples sampled (MeZO: 1000).", HelpName = "n" }.AtLeast(1);

    public Option<int?> KShot { get; } = new Option<int?>("--k-shot") { Description = "Sample k train and k dev examples per class instead (RoBERTa protocol: 16 or 512).", HelpName = "k" }.AtLeast(1);

    public Option<ulong> DataSeed { get; } = new("--data-seed") { Description = "Seed of data sampling and batch order.", DefaultValueFactory = _ => 0UL, HelpName = "n" };

    public Option<bool> AllowSuspicious { get; } = Suspicions.CreateOption();

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Task, Dataset, Data, Train, Dev, Test, Template, Verbalizer, LabelField, Rename, DataFormat, NoHeader, Columns, NoQuoting,
                     NumTrain, NumDev, NumTest, KShot, DataSeed, AllowSuspicious })
        {
            command.Options.Add(o);
        }
    }

    /// <summary>The values given.</summary>
    public TaskSettings Read(ParseResult p) => new()
    {
        Task = p.GetValue(Task)!,
        Dataset = p.GetValue(Dataset),
        Data = p.GetValue(Data),
        Train = p.GetValue(Train),
        Dev = p.GetValue(Dev),
        Test = p.GetValue(Test),
        Template = p.GetValue(Template),
        Verbalizer = p.GetValue(Verbalizer),
        LabelField = p.GetValue(LabelField)!,
        Rename = p.GetValue(Rename) ?? [],
        DataFormat = p.GetValue(DataFormat)!,
        NoHeader = p.GetValue(NoHeader),
        Columns = (p.GetValue(Columns) ?? []).SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
        NoQuoting = p.GetValue(NoQuoting),
        NumTrain = p.GetValue(NumTrain),
        NumDev = p.GetValue(NumDev),
        NumTest = p.GetValue(NumTest),
        KShot = p.GetValue(KShot),
        DataSeed = p.GetValue(DataSeed),
        AllowSuspicious = p.GetValue(AllowSuspicious),
    };

    /// <summary>
    /// A run's task and data with the data options given on this command line in their place (to score a
    /// run's weights on other data). Options that define the task the weights were trained for cannot
    /// change: given with another value, they are an error rather than silently ignored.
    /// </summary>
    public TaskSettings OverRun(ParseResult p, TaskSettings run)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(run);
        var given = Read(p);
        bool Given(Option option) => p.GetResult(option) is { Implicit: false };
        foreach (var (option, now, before) in new (Option, string?, string?)[]
                 {
                     (Task, given.Task, run.Task), (Template, given.Template, run.Template), (Verbalizer, given.Verbalizer, run.Verbalizer), (LabelField, given.LabelField, run.LabelField),
                 })
        {
            if (Given(option) && now != before)
            {
                throw new Bszo.Ort.BszoException(Bszo.Ort.BszoException.Format($"{option.Name} cannot change with --run: the run's weights were trained for its own task.",
                    $"{option.Name} {before ?? "(not given)"}, as the run was started", $"{option.Name} {now}",
                    "leave it out to score the run's task; to score the weights on another task, export them (`bszo export`) and use `bszo eval --model`."));
            }
        }
        // A new source replaces the run's whole source; --dev or --test alone replace just that split.
        bool newSource = Given(Dataset) || Given(Data) || Given(Train);
        return run with
        {
            Dataset = newSource ? given.Dataset : run.Dataset,
            Data = newSource ? given.Data : run.Data,
            Train = newSource ? given.Train : run.Train,
            Dev = newSource || Given(Dev) ? given.Dev : run.Dev,
            Test = newSource || Given(Test) ? given.Test : run.Test,
            Rename = Given(Rename) ? given.Rename : run.Rename,
            DataFormat = Given(DataFormat) ? given.DataFormat : run.DataFormat,
            NoHeader = Given(NoHeader) ? given.NoHeader : run.NoHeader,
            Columns = Given(Columns) ? given.Columns : run.Columns,
            NoQuoting = Given(NoQuoting) ? given.NoQuoting : run.NoQuoting,
            NumTrain = Given(NumTrain) ? given.NumTrain : run.NumTrain,
            NumDev = Given(NumDev) ? given.NumDev : run.NumDev,
            NumTest = Given(NumTest) ? given.NumTest : run.NumTest,
            KShot = Given(KShot) ? given.KShot : run.KShot,
            DataSeed = Given(DataSeed) ? given.DataSeed : run.DataSeed,
            AllowSuspicious = given.AllowSuspicious || run.AllowSuspicious,
        };
    }
}
