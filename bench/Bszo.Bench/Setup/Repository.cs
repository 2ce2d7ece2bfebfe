namespace Bszo.Bench.Setup;

/// <summary>Paths in the source tree, found by walking up from the harness's binaries.</summary>
public static class Repository
{
    /// <summary>The directory holding <c>Bszo.sln</c>.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Bszo.sln"))) return dir.FullName;
            }
            return Throw.Bszo<string>($"Bszo.sln was not found above {AppContext.BaseDirectory}.", "the harness to run from a build inside the repository",
                AppContext.BaseDirectory, "run it with `dotnet run -c Release --project bench/Bszo.Bench -- ...` from a clone.");
        }
    }

    /// <summary>Where results are committed: bench/results.</summary>
    public static string Results => Path.Combine(Root, "bench", "results");

    /// <summary>The PyTorch reference script.</summary>
    public static string TorchReference => Path.Combine(Root, "bench", "pytorch", "reference.py");
}
