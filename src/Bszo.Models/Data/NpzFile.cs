using System.IO.Compression;
using Bszo.Ort;

namespace Bszo.Models.Data;

/// <summary>Reads NumPy's <c>.npz</c> files (a zip of <c>.npy</c> files, stored or deflated, as numpy.savez and numpy.savez_compressed write them).</summary>
public static class NpzFile
{
    /// <summary>Every array of <paramref name="path"/>, by name (the entry name without ".npy").</summary>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path)
    {
        using var zip = Open(path);
        var arrays = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal)))
        {
            var name = entry.FullName[..^4];
            using var stream = entry.Open();
            arrays[name] = NpyArray.Read(stream, name, $"{path}:{entry.FullName}");
        }
        if (arrays.Count == 0)
        {
            throw new BszoException(BszoException.Format($"'{path}' holds no arrays.", "one .npy entry per array", "none",
                "write it with numpy.savez(path, name=array, ...)."));
        }
        return arrays;
    }

    /// <summary>The names of the arrays in <paramref name="path"/>, without reading them.</summary>
    public static IReadOnlyList<string> Names(string path)
    {
        using var zip = Open(path);
        return zip.Entries.Where(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal)).Select(e => e.FullName[..^4]).ToList();
    }

    private static ZipArchive Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new BszoException(BszoException.Format($"Data file '{path}' does not exist.", "an .npz file", "no such file", "check the path."));
        }
        try
        {
            return ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new BszoException(BszoException.Format($"'{path}' is not an .npz file.", "a zip of .npy arrays, as numpy.savez writes", e.Message,
                "write the data with numpy.savez(path, name=array, ...)."), e);
        }
    }
}
