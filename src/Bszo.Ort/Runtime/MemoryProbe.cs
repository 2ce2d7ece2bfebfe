using System.Globalization;

namespace Bszo.Ort.Runtime;

/// <summary>Process memory as the kernel reports it (<c>/proc/self/status</c>), in bytes.</summary>
/// <param name="Resident">VmRSS: resident set now.</param>
/// <param name="Peak">VmHWM: peak resident set since start or the last <see cref="MemoryProbe.ResetPeak"/>.</param>
public readonly record struct MemorySample(long Resident, long Peak);

/// <summary>Reads resident and peak memory; on systems without procfs it falls back to <see cref="System.Diagnostics.Process"/>.</summary>
public static class MemoryProbe
{
    /// <summary>Current and peak resident memory.</summary>
    public static MemorySample Sample()
    {
        try
        {
            long rss = 0, hwm = 0;
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = ParseKb(line);
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = ParseKb(line);
            }
            return new MemorySample(rss, hwm);
        }
        catch (IOException)
        {
            using var p = System.Diagnostics.Process.GetCurrentProcess();
            return new MemorySample(p.WorkingSet64, p.PeakWorkingSet64);
        }
    }

    /// <summary>Resets the peak to the current resident size (Linux), so a phase's own peak can be measured.</summary>
    public static void ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static long ParseKb(string line)
    {
        var digits = line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim();
        var end = digits.IndexOf(' ');
        return long.Parse(end > 0 ? digits[..end] : digits, CultureInfo.InvariantCulture) * 1024;
    }
}
