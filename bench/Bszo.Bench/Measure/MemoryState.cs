using System.Globalization;
using Bszo.Ort.Runtime;

namespace Bszo.Bench.Measure;

/// <summary>A process's memory at one moment, as the kernel reports it, in bytes.</summary>
/// <param name="Rss">VmRSS: resident now.</param>
/// <param name="Peak">VmHWM: the most ever resident (since start, or since the last <see cref="MemoryProbe.ResetPeak"/>).</param>
/// <param name="Anon">RssAnon: resident anonymous memory (heaps, arenas, weight slabs).</param>
/// <param name="File">RssFile: resident file-backed pages (mapped model files, shared libraries).</param>
public sealed record MemoryState(long Rss, long Peak, long Anon, long File)
{
    /// <summary>This process now: RSS and peak from <see cref="MemoryProbe"/>, the anonymous/file split from <c>/proc/self/status</c>.</summary>
    public static MemoryState Now()
    {
        var sample = MemoryProbe.Sample();
        long anon = 0, file = 0;
        try
        {
            foreach (var line in System.IO.File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kilobytes(line);
                else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = Kilobytes(line);
            }
        }
        catch (IOException)
        {
        }
        return new MemoryState(sample.Resident, sample.Peak, anon, file);
    }

    private static long Kilobytes(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(fields[1], CultureInfo.InvariantCulture) * 1024;
    }
}
