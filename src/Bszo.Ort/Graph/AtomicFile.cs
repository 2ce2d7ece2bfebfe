namespace Bszo.Ort.Graph;

/// <summary>
/// Writes files so that a reader (or a crash) never sees half of one: data goes to a temporary file
/// in the same directory, is flushed to disk, and is then renamed over the destination.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes a file by streaming into <paramref name="write"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Throw.Bszo(e, $"Cannot create directory '{directory}'.", found: e.Message,
                hint: "choose an output directory you can write to.");
        }

        Leftovers.Remove(directory, Path.GetFileName(full));
        var temp = Path.Combine(directory, Leftovers.TemporaryName(Path.GetFileName(full), "tmp"));
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            Throw.Bszo(e, $"Cannot write '{full}'.", found: e.Message,
                hint: "check free disk space and permissions; the previous file, if any, is unchanged.");
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes text (UTF-8) atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
            writer.Write(text);
        });

    private static void TryDelete(string path)
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
