using Bszo.Models.Training;
using Bszo.Ort.Graph;

namespace Bszo.Cli.Setup;

/// <summary>
/// What a new run adds to its directory, so that a run which fails before its first step can take it
/// back: it has nothing to resume, and its leftovers (a prepared model, a configuration, a trajectory
/// with only a header) would take space and confuse a later look at the directory. Entries the
/// directory held before the command started are never touched.
/// </summary>
internal sealed class RunDirectoryAdditions
{
    private readonly RunDirectory _run;
    private readonly bool _existed;
    private readonly HashSet<string> _before;

    /// <summary>Notes what <paramref name="run"/> holds now (call before writing anything there).</summary>
    public RunDirectoryAdditions(RunDirectory run)
    {
        _run = run;
        _existed = Directory.Exists(run.Root);
        _before = _existed ? [.. Directory.EnumerateFileSystemEntries(run.Root)] : [];
    }

    /// <summary>Removes the entries added since construction, unless the run has logged a step or written a checkpoint.</summary>
    public void RemoveUnlessStarted()
    {
        if (!Directory.Exists(_run.Root) || _run.HoldsRun) return;
        foreach (var entry in Directory.EnumerateFileSystemEntries(_run.Root).Where(e => !_before.Contains(e)).ToList())
        {
            if (Directory.Exists(entry)) AtomicDirectory.TryDelete(entry);
            else TryDeleteFile(entry);
        }
        if (!_existed && !Directory.EnumerateFileSystemEntries(_run.Root).Any()) AtomicDirectory.TryDelete(_run.Root);
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
