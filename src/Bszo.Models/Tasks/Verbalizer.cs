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
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            node = Throw.Bszo<JsonNode?>(e, "The verbalizer is not valid JSON.", "a JSON object such as {\"0\":\" terrible\",\"1\":\" great\"}", e.Message);
        }
        if (node is not JsonObject obj || obj.Any(p => p.Value is not JsonValue v || !v.TryGetValue(out string? _)))
        {
            return Throw.Bszo<Verbalizer>("The verbalizer must map each label value to a word.",
                "a JSON object of strings such as {\"0\":\" terrible\",\"1\":\" great\"}", json);
        }
        return Create(obj.Select(p => new VerbalizerEntry([p.Key], (string)p.Value!)).ToList());
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
