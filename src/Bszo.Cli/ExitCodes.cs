namespace Bszo.Cli;

/// <summary>Process exit codes of <c>bszo</c>.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>A problem the user can fix (bad data, unknown task, unwritable output, ...); the message says which.</summary>
    public const int Error = 1;

    /// <summary>The command line or config file could not be parsed.</summary>
    public const int Usage = 2;

    /// <summary>Training diverged (a non-finite loss); the checkpoints before it are intact. Scripts sweeping learning rates tell it from other errors.</summary>
    public const int Diverged = 3;

    /// <summary>Interrupted (Ctrl-C); the run can be continued with --resume.</summary>
    public const int Interrupted = 130;
}
