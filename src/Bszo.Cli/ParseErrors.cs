using System.CommandLine;
using System.Text.RegularExpressions;
using Bszo.Cli.Display;
using Bszo.Ort;

namespace Bszo.Cli;

/// <summary>
/// A command line the parser rejected: the parser's messages in plain words, a suggestion for a
/// mistyped option, and where the options are listed (not the whole help text, which buries the message).
/// </summary>
internal static partial class ParseErrors
{
    /// <summary>Prints the errors of <paramref name="parsed"/> and returns <see cref="ExitCodes.Usage"/>.</summary>
    public static int Print(CliConsole console, ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(parsed);
        var command = parsed.CommandResult.Command;
        var messages = parsed.Errors.Select(e => Plain(e.Message)).Distinct().ToList();
        var suggestions = parsed.UnmatchedTokens.Select(t => Suggest(command, t)).OfType<string>().Distinct().ToList();
        var path = command is RootCommand ? "bszo" : $"bszo {command.Name}";
        var hint = (suggestions.Count > 0 ? $"did you mean {string.Join(", ", suggestions)}? " : "") + $"`{path} --help` lists the options.";
        console.Error.WriteLine($"bszo: error: {BszoException.Format(string.Join(Environment.NewLine + "  ", messages), hint: hint)}");
        return ExitCodes.Usage;
    }

    /// <summary>The parser's message with .NET type names replaced by what a user would type.</summary>
    public static string Plain(string message) => ExpectedType().Replace(message, m => "as " + TypeWords(m.Groups[1].Value));

    private static string TypeWords(string type) => type switch
    {
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) => "a number (e.g. 1e-4)",
        _ when type.Contains("UInt", StringComparison.Ordinal) => "a whole number ≥ 0",
        _ when type.Contains("Int", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ => "the option's type",
    };

    /// <summary>The option of <paramref name="command"/> closest to a token it did not recognize, if one is close.</summary>
    private static string? Suggest(Command command, string token)
    {
        if (!token.StartsWith('-')) return null;
        var name = token.Split('=', 2)[0];
        var candidates = command.Options.SelectMany(o => o.Aliases.Append(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal)).Distinct();
        var best = candidates.Select(c => (Name: c, Distance: Distance(Normalize(name), Normalize(c)))).OrderBy(c => c.Distance).FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(1, best.Name.Length / 4) ? best.Name : null;
    }

    private static string Normalize(string option) => option.TrimStart('-').Replace('_', '-').ToLowerInvariant();

    /// <summary>Levenshtein distance.</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    [GeneratedRegex("as expected type '([^']+)'")]
    private static partial Regex ExpectedType();
}
