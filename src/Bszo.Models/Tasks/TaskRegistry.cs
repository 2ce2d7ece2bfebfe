using Bszo.Ort;

namespace Bszo.Models.Tasks;

/// <summary>
/// The built-in tasks by name: MeZO's prompt templates and verbalizers (Malladi et al., 2023,
/// <c>large_models/templates.py</c>, rewritten here as data) for SST-2, RTE, CB, BoolQ, WSC, WiC,
/// MultiRC, COPA, ReCoRD, SQuAD and DROP, plus SST-5, TREC, SNLI and MNLI, which MeZO ran only on
/// RoBERTa with masked-LM prompts and which are given here in decoder form with the label word last.
/// </summary>
/// <remarks>
/// Field names follow the Hugging Face datasets layouts (GLUE/SuperGLUE, squad, drop, trec); rename
/// columns of other layouts with <c>--rename from=to</c>. Numeric labels follow the same layouts,
/// and label names ("entailment", "true", "positive") are accepted as well.
/// </remarks>
public static class TaskRegistry
{
    private static readonly (string Name, Func<PromptTask> Create)[] BuiltIns =
    [
        ("sst2", () => VerbalizedTask.Create("sst2", "SST-2 sentiment: \"{sentence} It was\" → terrible / great",
            "{sentence} It was", Verbalizer.Indexed((" terrible", ["negative"]), (" great", ["positive"])))),
        ("sst5", () => VerbalizedTask.Create("sst5", "SST-5 fine-grained sentiment: \"{sentence} It was\" → terrible / bad / okay / good / great",
            "{sentence} It was", Verbalizer.Indexed((" terrible", ["very negative"]), (" bad", ["negative"]), (" okay", ["neutral"]),
                (" good", ["positive"]), (" great", ["very positive"])))),
        ("rte", () => VerbalizedTask.Create("rte", "RTE entailment (premise, hypothesis) → Yes / No",
            "{premise}\nDoes this mean that \"{hypothesis}\" is true? Yes or No?\n",
            Verbalizer.Indexed(("Yes", ["entailment"]), ("No", ["not_entailment"])))),
        ("cb", () => VerbalizedTask.Create("cb", "CommitmentBank (premise, hypothesis) → Yes / No / Maybe",
            "Suppose {premise} Can we infer that \"{hypothesis}\"? Yes, No, or Maybe?\n",
            Verbalizer.Indexed(("Yes", ["entailment"]), ("No", ["contradiction"]), ("Maybe", ["neutral"])), sizes: new SplitSizes(1000, 100, 1000))),
        ("boolq", () => VerbalizedTask.Create("boolq", "BoolQ yes/no questions (passage, question) → No / Yes",
            "{passage} {question|trim|upper_first}?\n", Verbalizer.Indexed(("No", ["false"]), ("Yes", ["true"])))),
        ("wsc", () => VerbalizedTask.Create("wsc", "Winograd schema (text, span1_text, span2_text) → No / Yes",
            "{text}\nIn the previous sentence, does the pronoun \"{span2_text|lower}\" refer to {span1_text}? Yes or No?\n",
            Verbalizer.Indexed(("No", ["false"]), ("Yes", ["true"])))),
        ("wic", () => VerbalizedTask.Create("wic", "Words in context (word, sentence1, sentence2) → No / Yes",
            "Does the word \"{word}\" have the same meaning in these two sentences? Yes, No?\n{sentence1}\n{sentence2}\n",
            Verbalizer.Indexed(("No", ["false"]), ("Yes", ["true"])))),
        ("multirc", () => VerbalizedTask.Create("multirc", "MultiRC answer checking (paragraph, question, answer) → No / Yes",
            "{paragraph}\nQuestion: {question}\nI found this answer \"{answer}\". Is that correct? Yes or No?\n",
            Verbalizer.Indexed(("No", ["false"]), ("Yes", ["true"])))),
        ("copa", CopaTask.Create),
        ("record", RecordTask.Create),
        ("trec", () => VerbalizedTask.Create("trec", "TREC question type (text, coarse_label) → Expression / Entity / Description / Human / Location / Number",
            "{text}\nAnswer type:", Verbalizer.Indexed((" Expression", ["ABBR", "abbreviation"]), (" Entity", ["ENTY", "entity"]),
                (" Description", ["DESC", "description"]), (" Human", ["HUM", "human"]), (" Location", ["LOC", "location"]), (" Number", ["NUM", "number"])),
            labelField: "coarse_label")),
        ("snli", () => NliTask("snli", "SNLI")),
        ("mnli", () => NliTask("mnli", "MultiNLI")),
        ("squad", () => GenerationTask.Create("squad", "SQuAD extractive QA (title, context, question, answers.text), scored by F1",
            "Title: {title}\nContext: {context}\nQuestion: {question}\nAnswer:", "answers.text")),
        ("drop", () => GenerationTask.Create("drop", "DROP discrete reasoning QA (passage, question, answers_spans.spans), scored by F1",
            "Passage: {passage}\nQuestion: {question}\nAnswer:", "answers_spans.spans")),
    ];

    /// <summary>The built-in task names.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. BuiltIns.Select(b => b.Name)];

    /// <summary>The built-in task called <paramref name="name"/> ("sst2", "SST-2" and "sst_2" are the same).</summary>
    public static PromptTask Get(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var key = Normalize(name);
        foreach (var (taskName, create) in BuiltIns)
        {
            if (Normalize(taskName) == key) return create();
        }
        return Throw.Bszo<PromptTask>($"Unknown task '{name}'.", $"one of {string.Join(", ", Names)}, or custom", name,
            "for your own data use --task custom --template \"{sentence} It was\" --verbalizer '{\"0\":\" terrible\",\"1\":\" great\"}'.");
    }

    /// <summary>Whether <paramref name="name"/> is a built-in task.</summary>
    public static bool Contains(string name) => Names.Any(n => Normalize(n) == Normalize(name));

    // SNLI and MNLI use MeZO's three-way NLI prompt (its CommitmentBank template), with the label
    // order of the Hugging Face datasets (0 entailment, 1 neutral, 2 contradiction); -1 marks pairs
    // without a gold label, which are left out.
    private static VerbalizedTask NliTask(string name, string title) =>
        VerbalizedTask.Create(name, $"{title} entailment (premise, hypothesis) → Yes / Maybe / No",
            "Suppose {premise} Can we infer that \"{hypothesis}\"? Yes, No, or Maybe?\n",
            Verbalizer.Indexed(("Yes", ["entailment"]), ("Maybe", ["neutral"]), ("No", ["contradiction"])), skipLabels: ["-1"]);

    private static string Normalize(string name) => name.Trim().ToLowerInvariant().Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
}
