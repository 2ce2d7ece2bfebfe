using System.Globalization;

namespace Bszo.Ort.Graph;

/// <summary>
/// Temporary files and directories that atomic writes leave behind when their process is killed:
/// <c>.name.PID.GUID.tmp</c> (<see cref="AtomicFile"/>), <c>.name.PID.GUID.partial</c> and
/// <c>.name.PID.GUID.old</c> (<see cref="AtomicDirectory"/>). The next write to the same place removes
/// those of processes that are gone; a live process's are left alone (it may still be writing).
/// </summary>
public static class Leftovers
{
    private static readonly string[] Suffixes = ["tmp", "partial", "old"];

    /// <summary>The name of a temporary sibling of <paramref name="name"/> owned by this process.</summary>
    internal static string TemporaryName(string name, string suffix) =>
        $".{name}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.{Guid.NewGuid():N}.{suffix}";

    /// <summary>Removes the leftovers of dead processes for entries of <paramref name="directory"/> named <paramref name="namePattern"/> (a file-name glob).</summary>
    public static void Remove(string directory, string namePattern)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var path in Directory.EnumerateFileSystemEntries(directory, $".{namePattern}.*"))
        {
            var parts = Path.GetFileName(path).Split('.');
            if (parts.Length < 5 || !Suffixes.Contains(parts[^1]) || parts[^2].Length != 32) continue;
            if (!int.TryParse(parts[^3], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || Runtime.Processes.IsRunning(pid)) continue;
            try
            {
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
                else File.Delete(path);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
