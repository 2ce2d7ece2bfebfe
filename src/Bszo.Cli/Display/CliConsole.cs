using Bszo.Ort;
using Spectre.Console;

namespace Bszo.Cli.Display;

/// <summary>
/// Where a command writes: standard output (through Spectre.Console, with or without ANSI and live
/// display), and standard error for messages and errors. Tests give it string writers.
/// </summary>
public sealed class CliConsole
{
    private CliConsole(TextWriter output, TextWriter error, bool interactive)
    {
        Out = output;
        Error = error;
        Interactive = interactive;
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive) Ansi.Profile.Width = 120;
    }

    /// <summary>Standard output.</summary>
    public TextWriter Out { get; }

    /// <summary>Standard error.</summary>
    public TextWriter Error { get; }

    /// <summary>True when output is a terminal a live progress display can redraw (not CI, not redirected).</summary>
    public bool Interactive { get; }

    /// <summary>Spectre.Console over <see cref="Out"/>.</summary>
    public IAnsiConsole Ansi { get; }

    /// <summary>The process's own console.</summary>
    public static CliConsole ForProcess()
    {
        bool ci = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
        bool interactive = !ci && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        return new CliConsole(Console.Out, Console.Error, interactive);
    }

    /// <summary>A console over the given writers, never interactive (tests, scripts).</summary>
    public static CliConsole ForWriters(TextWriter output, TextWriter error) => new(output, error, interactive: false);

    /// <summary>Prints an error and returns the exit code for it.</summary>
    public int Fail(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        switch (e)
        {
            case OperationCanceledException:
                Error.WriteLine("bszo: interrupted. Everything up to the last logged step is kept; continue with --resume.");
                return ExitCodes.Interrupted;
            case TrainingDivergedException:
                Error.WriteLine($"bszo: error: {e.Message}");
                return ExitCodes.Diverged;
            case BszoException:
                Error.WriteLine($"bszo: error: {e.Message}");
                return ExitCodes.Error;
            case Microsoft.ML.OnnxRuntime.OnnxRuntimeException:
                // ONNX Runtime's messages name the input, node or shape it rejected; its stack trace says nothing more to a user.
                Error.WriteLine($"bszo: error: ONNX Runtime rejected the model or its inputs: {e.Message}{Environment.NewLine}"
                                + "  hint:     check that the model runs in plain ONNX Runtime and that the data fits its inputs (`bszo prepare --list` shows its tensors).");
                return ExitCodes.Error;
            case IOException or UnauthorizedAccessException:
                Error.WriteLine($"bszo: error: {e.Message}{Environment.NewLine}  hint:     check the paths, free disk space and permissions; files written before are unchanged.");
                return ExitCodes.Error;
            default:
                Error.WriteLine($"bszo: internal error: {e}");
                return ExitCodes.Error;
        }
    }
}
