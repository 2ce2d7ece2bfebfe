namespace Bszo.Tests.Support;

/// <summary>Paths in the source tree, found by walking up from the test binaries.</summary>
internal static class Repository
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Bszo.sln"))) return dir.FullName;
            }
            throw new InvalidOperationException("Bszo.sln not found above the test directory.");
        }
    }

    /// <summary>tools/node, with its node_modules installed by scripts/prerequisites.sh.</summary>
    public static string NodeTools => Path.Combine(Root, "tools", "node");

    /// <summary>The built `bszo` entry assembly next to the tests.</summary>
    public static string CliAssembly => Path.Combine(TestContext.CurrentContext.TestDirectory, "bszo.dll");
}
