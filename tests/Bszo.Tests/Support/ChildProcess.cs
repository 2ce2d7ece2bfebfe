using System.Diagnostics;

namespace Bszo.Tests.Support;

/// <summary>Starts programs as separate processes (the real `bszo` binary, node) and collects their output.</summary>
internal static class ChildProcess
{
    public static Process Start(string program, IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["CI"] = "true"; // plain output, never a live display
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        return process;
    }

    /// <summary>Runs to completion (with a time limit) and returns exit code and output.</summary>
    public static (int ExitCode, string Output, string Error) Run(string program, IEnumerable<string> args, TimeSpan limit)
    {
        using var p = Start(program, args);
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {limit}.");
        }
        return (p.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs the built `bszo` binary.</summary>
    public static (int ExitCode, string Output, string Error) Bszo(IEnumerable<string> args, TimeSpan limit) =>
        Run("dotnet", [Repository.CliAssembly, .. args], limit);
}
