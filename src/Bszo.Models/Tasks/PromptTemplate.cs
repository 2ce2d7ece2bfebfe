using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Bszo.Models.Data;
using Bszo.Ort;

namespace Bszo.Models.Tasks;

/// <summary>
/// A prompt written as text with <c>{field}</c> placeholders, e.g. <c>"{sentence} It was"</c>.
/// </summary>
/// <remarks>
/// <para>A placeholder names a field of the row (dotted paths reach nested JSON fields) and may
/// apply filters: <c>{question|upper_first}</c>. Filters: <c>lower</c>, <c>upper_first</c>,
/// <c>lower_first</c> (not for a leading "I"), <c>strip_period</c> (drop one trailing "."),
/// <c>trim</c>. <c>{{</c> and <c>}}</c> are literal braces; <c>\n</c> in a template read from the
/// command line is a line break.</para>
/// </remarks>
public sealed class PromptTemplate
{
    private static readonly string[] KnownFilters = ["lower", "upper_first", "lower_first", "strip_period", "trim"];
    private readonly List<Segment> _segments;

    private PromptTemplate(string text, List<Segment> segments)
    {
        Text = text;
        _segments = segments;
        Fields = segments.Where(s => s.Field is not null).Select(s => s.Field!).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>The fields the template reads.</summary>
    public IReadOnlyList<string> Fields { get; }

    /// <summary>Parses a template; throws <see cref="BszoException"/> naming the problem and its position.</summary>
    public static PromptTemplate Create(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var segments = new List<Segment>();
        var literal = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '{' && i + 1 < text.Length && text[i + 1] == '{') { literal.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < text.Length && text[i + 1] == '}') { literal.Append('}'); i++; continue; }
            if (c == '}') Bad(text, i, "a '}' without a matching '{' (write '}}' for a literal brace)");
            if (c != '{') { literal.Append(c); continue; }

            int end = text.IndexOf('}', i + 1);
            if (end < 0) Bad(text, i, "a '{' that is never closed");
            var parts = text[(i + 1)..end].Split('|', StringSplitOptions.TrimEntries);
            if (parts[0].Length == 0) Bad(text, i, "an empty placeholder '{}'");
            foreach (var filter in parts.Skip(1))
            {
                if (!KnownFilters.Contains(filter)) Bad(text, i, $"an unknown filter '{filter}' (known: {string.Join(", ", KnownFilters)})");
            }
            if (literal.Length > 0) segments.Add(new Segment(literal.ToString(), null, []));
            literal.Clear();
            segments.Add(new Segment(null, parts[0], parts[1..]));
            i = end;
        }
        if (literal.Length > 0) segments.Add(new Segment(literal.ToString(), null, []));
        return new PromptTemplate(text, segments);
    }

    /// <summary>The prompt for <paramref name="row"/>; a missing field is an error naming the file and line.</summary>
    public string Render(DataRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var text = new StringBuilder();
        foreach (var s in _segments)
        {
            if (s.Literal is not null) { text.Append(s.Literal); continue; }
            var value = row.Text(s.Field!);
            foreach (var filter in s.Filters) value = ApplyFilter(filter, value);
            text.Append(value);
        }
        return text.ToString();
    }

    /// <summary>Applies one named filter (also used by the built-in tasks).</summary>
    public static string ApplyFilter(string filter, string value) => filter switch
    {
        "lower" => value.ToLowerInvariant(),
        "trim" => value.Trim(),
        "upper_first" => value.Length == 0 ? value : char.ToUpperInvariant(value[0]) + value[1..],
        "lower_first" => value.Length == 0 || value == "I" || value.StartsWith("I ", StringComparison.Ordinal)
            ? value
            : char.ToLowerInvariant(value[0]) + value[1..],
        "strip_period" => value.EndsWith('.') ? value[..^1] : value,
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, null),
    };

    public override string ToString() => Text;

    [DoesNotReturn]
    private static void Bad(string text, int position, string found) =>
        Throw.Bszo($"Prompt template \"{text}\" cannot be parsed at character {position.ToString(CultureInfo.InvariantCulture)}.",
            "literal text with {field} placeholders, e.g. \"{sentence} It was\"", found);

    private sealed record Segment(string? Literal, string? Field, string[] Filters);
}
