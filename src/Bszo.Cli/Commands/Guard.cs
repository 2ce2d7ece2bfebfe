using Bszo.Cli.Display;

namespace Bszo.Cli.Commands;

/// <summary>Runs a command's action and turns failures into a message and an exit code.</summary>
internal static class Guard
{
    public static int Run(CliConsole console, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return console.Fail(e);
        }
    }
}
