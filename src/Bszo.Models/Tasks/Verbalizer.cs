using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Ort;

namespace Bszo.Models.Tasks;

/// <summary>One class of a verbalizer: the label values that mean it, and the words that stand for it.</summary>
/// <param name="Keys">Label values as they appear in data files ("0", "entailment", "true").</param>
/// <param name="Word">The verbalized answer appended to the prompt (leading space included where the template needs one).</param>
public sealed record VerbalizerEntry(IReadOnlyList<string> Keys, string Word);

/// <summary>Maps label values of a data file to class indices and answer words, e.g. 0 → " terrible", 1 → " great".</summary>
public sealed class Verbalizer
{
    private readonly Dictionary<string, int> _index = new(StringComparer.OrdinalIgnoreCase);

    private Verbalizer(IReadOnlyList<VerbalizerEntry> entries)
    {
        Entries = entries;
        for (int i = 0; i < entries.Count; i++)
        {
            foreach (var key in entries[i].Keys)
            {
                if (!_index.TryAdd(key.Trim(), i))
                {
                    Throw.Bszo($"Verbalizer label '{key}' is listed twice.", "each label value once", key);
                }
            }
        }
        Words = entries.Select(e => e.Word).ToList();
    }

    /// <summary>The classes in index order.</summary>
    public IReadOnlyList<VerbalizerEntry> Entries { get; }

    /// <summary>The answer words in class order (the candidates of every example).</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>The label values the verbalizer knows, for messages.</summary>
    public IEnumerable<string> Keys => Entries.SelectMany(e => e.Keys);

    /// <summary>Creates a verbalizer from its classes (at least two).</summary>
    public static Verbalizer Create(IReadOnlyList<VerbalizerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count < 2)
        {
            Throw.Bszo("A verbalizer needs at least two classes.", "two or more label → word entries", $"{entries.Count}");
        }
        return new Verbalizer(entries);
    }

    /// <summary>Creates a verbalizer whose keys are the class indices "0", "1", ... plus optional aliases.</summary>
    public static Verbalizer Indexed(params (string Word, string[] Aliases)[] classes) =>
        Create(classes.Select((c, i) => new VerbalizerEntry([i.ToString(System.Globalization.CultureInfo.InvariantCulture), .. c.Aliases], c.Word)).ToList());

    /// <summary>Parses a JSON object of label → word, e.g. <c>{"0":" terrible","1":" great"}</c>; class order is the order written.</summary>
    public static Verbalizer Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        const string Example = "a JSON object of strings such as {\"0\":\" terrible\",\"1\":\" great\"}";
        var entries = new List<VerbalizerEntry>();
        try
        {
            // Read property by property: a JSON object may repeat a key, which a dictionary would reject without naming it.
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new BszoException(BszoException.Format("The verbalizer must map each label value to a word.", Example, json));
            }
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    throw new BszoException(BszoException.Format($"The verbalizer maps label '{property.Name}' to something other than a word.", Example, property.Value.GetRawText()));
                }
                if (string.IsNullOrWhiteSpace(property.Value.GetString()))
                {
                    throw new BszoException(BszoException.Format($"The verbalizer maps label '{property.Name}' to an empty answer.", "a word for every label, e.g. \" great\"",
                        $"'{property.Value.GetString()}'", "the model scores each answer's tokens; an empty answer has none."));
                }
                entries.Add(new VerbalizerEntry([property.Name], property.Value.GetString()!));
            }
        }
        catch (JsonException e)
        {
            throw new BszoException(BszoException.Format("The verbalizer is not valid JSON.", Example, e.Message), e);
        }
        return Create(entries);
    }

    /// <summary>The class index of a label value, or -1.</summary>
    public int IndexOf(string labelValue) => _index.TryGetValue(labelValue.Trim(), out var i) ? i : -1;

    /// <summary>The verbalizer as a JSON object (first key of each class → word), for run configurations.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject();
        foreach (var e in Entries) obj[e.Keys[0]] = e.Word;
        return obj;
    }
}
