using System.Security.Cryptography;

namespace Bszo.Tests.Support;

/// <summary>
/// Runs a reference program (a Node.js oracle, a Python reference) whose last argument is the file
/// it writes, unless a result for the same inputs is already in <c>artifacts/test-cache</c>.
/// </summary>
internal static class CachedToolRun
{
    /// <summary>
    /// The output file of <paramref name="program"/> <paramref name="arguments"/> OUT, run in
    /// <paramref name="workingDirectory"/>; cached by the bytes of <paramref name="inputs"/> and the
    /// arguments (paths by file name, so every checkout shares the cache), given <paramref name="limit"/>
    /// (default five minutes) to finish.
    /// </summary>
    public static string Run(string program, string[] arguments, string workingDirectory, string[] inputs, string outputName,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? limit = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in inputs)
        {
            using var stream = File.OpenRead(file);
            var buffer = new byte[1 << 20];
            for (int n; (n = stream.Read(buffer)) > 0;) hash.AppendData(buffer, 0, n);
        }
        foreach (var a in arguments.Prepend(program)) hash.AppendData(System.Text.Encoding.UTF8.GetBytes((File.Exists(a) ? Path.GetFileName(a) : a) + "\0"));
        var key = Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
        var cacheDir = Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts", "test-cache")).FullName;
        var output = Path.Combine(cacheDir, $"{outputName}-{key}.json");
        if (File.Exists(output)) return output;

        var temp = output + $".{Environment.ProcessId}.tmp";
        using var process = ChildProcess.Start(program, [.. arguments, temp], workingDirectory, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var wait = limit ?? TimeSpan.FromMinutes(5);
        if (!process.WaitForExit(wait))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish within {wait.TotalMinutes} minutes.");
        }
        if (process.ExitCode != 0)
        {
            Assert.Fail($"{program} {string.Join(' ', arguments)} failed (exit code {process.ExitCode}):\n{stderr.Result}\n{stdout.Result}");
        }
        File.Move(temp, output, overwrite: true);
        return output;
    }
}
