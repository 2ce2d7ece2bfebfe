using System.Text.RegularExpressions;

namespace Bszo.Ort.Graph;

/// <summary>
/// Shell-style name patterns for choosing tensors: <c>*</c> matches any run of characters,
/// <c>?</c> one character; a leading <c>!</c> excludes. Example: <c>["*", "!*embed*"]</c>.
/// </summary>
public sealed class NameGlob
{
    private readonly (Regex Pattern, bool Exclude, string Text)[] _rules;

    private NameGlob((Regex, bool, string)[] rules) => _rules = rules;

    /// <summary>Patterns applied in order; the last that matches a name decides. No patterns means "everything".</summary>
    public static NameGlob Create(IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var rules = patterns
            .Where(p => !string.IsNullOrWhiteSpace(p))
            .Select(p =>
            {
                bool exclude = p.StartsWith('!');
                var body = exclude ? p[1..] : p;
                var regex = "^" + Regex.Escape(body).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$";
                return (new Regex(regex, RegexOptions.CultureInvariant), exclude, p);
            })
            .ToArray();
        return new NameGlob(rules);
    }

    /// <summary>The patterns as given.</summary>
    public IEnumerable<string> Patterns => _rules.Select(r => r.Text);

    /// <summary>Whether <paramref name="name"/> is selected.</summary>
    public bool Matches(string name)
    {
        if (_rules.Length == 0) return true;
        bool selected = _rules[0].Exclude; // a list that starts with an exclusion means "all but ..."
        foreach (var (pattern, exclude, _) in _rules)
        {
            if (pattern.IsMatch(name)) selected = !exclude;
        }
        return selected;
    }

    /// <summary>Include patterns without wildcards: names the user spelled out exactly.</summary>
    public IEnumerable<string> ExactNames => _rules.Where(r => !r.Exclude && !r.Text.Contains('*', StringComparison.Ordinal) && !r.Text.Contains('?', StringComparison.Ordinal)).Select(r => r.Text);
}
