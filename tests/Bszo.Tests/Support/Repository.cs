namespace Bszo.Tests.Support;

/// <summary>Paths in the source tree, found by walking up from the test binaries.</summary>
internal static class Repository
{
    /// <summary>The repository root: the folder holding Bszo.sln above the test binaries.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Bszo.sln"))) return dir.FullName;
            }
            throw new InvalidOperationException("Bszo.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>tools/node, with its node_modules installed by scripts/prerequisites.sh.</summary>
    public static string NodeTools => Path.Combine(Root, "tools", "node");

    /// <summary>The built `bszo` entry assembly next to the tests.</summary>
    public static string CliAssembly => Path.Combine(TestContext.CurrentContext.TestDirectory, "bszo.dll");

    /// <summary>
    /// <paramref name="assembly"/> as built by the project in <paramref name="projectDirectory"/> (relative to the root)
    /// in the same configuration as the tests: the tests' output folder below tests/Bszo.Tests (bin/Release/net10.0,
    /// or bin/cuda/Release/net10.0 in the GPU build) is the same below every project. Fails the test when it is not built.
    /// </summary>
    public static string BuiltAssembly(string projectDirectory, string assembly)
    {
        var tests = Path.Combine(Root, "tests", "Bszo.Tests");
        var output = Path.GetRelativePath(tests, AppContext.BaseDirectory);
        var path = Path.GetFullPath(Path.Combine(Root, projectDirectory, output, assembly));
        if (!File.Exists(path)) Assert.Fail($"{assembly} is not built at {path}; build the solution first.");
        return path;
    }
}
