using System.Diagnostics;
using System.Globalization;

namespace Bszo.Bench.Probes;

/// <summary>Starts measurement processes: this harness in probe mode, and the PyTorch reference.</summary>
public static class ChildProcesses
{
    /// <summary>
    /// Runs <c>Bszo.Bench probe REQUEST RESULT</c> in a new process (so that its peak memory is its own)
    /// and returns its exit code and standard error.
    /// </summary>
    public static (int ExitCode, string Error) RunProbe(string requestPath, string resultPath)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var assembly = typeof(Program).Assembly.Location;
        bool viaDotnet = Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        IEnumerable<string> args = viaDotnet ? [assembly, "probe", requestPath, resultPath] : ["probe", requestPath, resultPath];
        return Run(host, args, environment: null);
    }

    /// <summary>Runs a program to completion; returns its exit code and the tail of its standard error.</summary>
    /// <param name="program">The executable.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="environment">Variables to set in the child (a null value removes the variable there).</param>
    public static (int ExitCode, string Error) Run(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                if (v is null) info.Environment.Remove(k);
                else info.Environment[k] = v;
            }
        }
        using var process = Process.Start(info) ?? Throw.Bszo<Process>($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var text = (error.Result + output.Result).Trim();
        return (process.ExitCode, text.Length > 4000 ? text[^4000..] : text);
    }

    /// <summary>Formats a number for a command line.</summary>
    public static string Arg(int value) => value.ToString(CultureInfo.InvariantCulture);
}
