using Bszo.Cli;
using Bszo.Cli.Display;

namespace Bszo.Tests.Support;

/// <summary>Runs `bszo` command lines in-process (through the same entry point as the binary) and captures their output.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    public static Result Run(IEnumerable<string> args, CancellationToken cancel = default)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = Program.Run([.. args], CliConsole.ForWriters(output, error), cancel);
        return new Result(code, output.ToString(), error.ToString());
    }
}
