using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Bszo.Cli.Commands;

/// <summary>
/// `--help` as System.CommandLine prints it, followed by the command's longer explanation and
/// examples (kept out of the description so that the command list stays one line per command).
/// </summary>
internal sealed class ExamplesHelp(HelpAction standard, IReadOnlyDictionary<string, string> details) : SynchronousCommandLineAction
{
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        int code = standard.Invoke(parseResult);
        if (details.TryGetValue(parseResult.CommandResult.Command.Name, out var text))
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(text.TrimEnd());
            output.WriteLine();
        }
        return code;
    }

    /// <summary>Installs the help action on <paramref name="root"/>'s help option.</summary>
    public static void Install(RootCommand root, IReadOnlyDictionary<string, string> details)
    {
        ArgumentNullException.ThrowIfNull(root);
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new ExamplesHelp((HelpAction)help.Action!, details);
    }
}
