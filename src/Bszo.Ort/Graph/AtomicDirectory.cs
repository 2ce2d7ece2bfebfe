namespace Bszo.Ort.Graph;

/// <summary>
/// Creates directories so that a reader (or a crash) never sees half of one: the content is built in
/// a temporary sibling directory (same file system, so the final rename is atomic) and then renamed
/// into place. Used for checkpoints, exports, converted models and fetched packages. Temporary
/// directories of killed processes are removed by the next write to the same place (see <see cref="Leftovers"/>).
/// </summary>
public static class AtomicDirectory
{
    /// <summary>What to do when the destination already exists.</summary>
    public enum Existing
    {
        /// <summary>Replace it: the old directory is moved aside, the new one in, and the old one deleted.</summary>
        Replace,

        /// <summary>Keep it and discard the new one: another process produced the same content first (a cache).</summary>
        Keep,
    }

    /// <summary>
    /// Builds <paramref name="target"/> by calling <paramref name="build"/> with an empty temporary
    /// directory beside it, then moves that directory into place.
    /// </summary>
    /// <param name="target">The directory to create.</param>
    /// <param name="build">Fills the temporary directory; its result is returned.</param>
    /// <param name="existing">What to do if <paramref name="target"/> exists when the build is done.</param>
    /// <param name="what">Names the directory in error messages (e.g. "checkpoint 'runs/x/checkpoints/step_10'").</param>
    /// <param name="hint">The hint of an I/O error's message.</param>
    public static T Create<T>(string target, Func<string, T> build, Existing existing, string what, string hint)
    {
        ArgumentNullException.ThrowIfNull(build);
        var full = Path.GetFullPath(target);
        var temp = TemporarySibling(full);
        Leftovers.Remove(Path.GetDirectoryName(full)!, Path.GetFileName(full));
        try
        {
            Directory.CreateDirectory(temp);
            var result = build(temp);
            MoveIntoPlace(temp, full, existing);
            return result;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            return Throw.Bszo<T>(e, $"Cannot write {what}.", found: e.Message, hint: hint);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>A fresh, unused path beside <paramref name="target"/>: <c>.name.pid.guid.partial</c>.</summary>
    public static string TemporarySibling(string target)
    {
        var full = Path.GetFullPath(target);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        return Path.Combine(parent, Leftovers.TemporaryName(Path.GetFileName(full), "partial"));
    }

    /// <summary>Deletes a directory tree, ignoring failures (clean-up of temporary or superseded directories).</summary>
    public static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void MoveIntoPlace(string temp, string target, Existing existing)
    {
        if (!Directory.Exists(target))
        {
            try
            {
                Directory.Move(temp, target);
                return;
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // Created by another process between the check and the move: handled below.
            }
        }
        if (existing == Existing.Keep)
        {
            TryDelete(temp);
            return;
        }
        var aside = Path.Combine(Path.GetDirectoryName(target)!, Leftovers.TemporaryName(Path.GetFileName(target), "old"));
        Directory.Move(target, aside);
        Directory.Move(temp, target);
        TryDelete(aside);
    }
}
