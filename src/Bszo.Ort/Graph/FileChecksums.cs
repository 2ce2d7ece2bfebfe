using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bszo.Ort.Graph;

/// <summary>
/// <c>bszo-checksums.json</c>: the SHA-256 of each file Bszo wrote into a directory (a prepared
/// training model, a converted model, an export), checked whenever the directory is read again, so
/// that weights damaged on disk — a flipped bit, a truncated copy — are refused instead of trained
/// from or deployed. SHA-256 runs at about 1.4 GB/s on a CPU with SHA instructions (0.7 s per GB).
/// </summary>
/// <remarks>
/// Directories Bszo did not write (a model of your own) have no such file and are not checked this
/// way; for them Bszo checks only what it reads: that the graph parses, that external data lies
/// inside its files, and that trainable weights are finite numbers.
/// </remarks>
public static class FileChecksums
{
    /// <summary>The file name inside a directory.</summary>
    public const string FileName = "bszo-checksums.json";

    private const string Format = "bszo-checksums/1";

    /// <summary>Writes the checksums of <paramref name="files"/> (names relative to <paramref name="directory"/>) into the directory.</summary>
    public static void Write(string directory, IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var sums = new JsonObject();
        foreach (var file in files.Order(StringComparer.Ordinal)) sums[file] = Sha256(Path.Combine(directory, file));
        var json = new JsonObject { ["format"] = Format, ["algorithm"] = "sha256", ["files"] = sums };
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// Checks every file listed in <paramref name="directory"/>'s checksums. Returns false when the
    /// directory has no checksums (nothing was checked); throws <see cref="BszoException"/> naming the
    /// first file that is missing or differs, with <paramref name="hint"/>.
    /// </summary>
    public static bool Verify(string directory, string hint)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return false;
        var json = JsonFile.ReadObject(path, hint);
        var files = (string?)json["format"] == Format ? json["files"] as JsonObject : null;
        if (files is null) Throw.Bszo($"'{path}' is not a checksum file of a supported format.", Format, (string?)json["format"] ?? "none", hint);
        foreach (var name in files.Select(p => p.Key).ToList())
        {
            var file = Path.Combine(directory, name);
            var expected = JsonFile.String(files, name, path, hint);
            if (!File.Exists(file)) Throw.Bszo($"'{file}' is missing.", $"the file with SHA-256 {expected}", "no such file", hint);
            var actual = Sha256(file);
            if (actual != expected)
            {
                Throw.Bszo($"'{file}' is damaged: its SHA-256 differs from the one recorded when it was written.", expected, actual, hint);
            }
        }
        return true;
    }

    /// <summary>The SHA-256 of a file, in lower-case hex.</summary>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
