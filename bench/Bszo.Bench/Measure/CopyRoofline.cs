using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Bszo.Bench.Measure;

/// <summary>
/// The memory-copy roofline: how fast this machine moves bytes between two buffers much larger than
/// its caches, with a given number of threads. A sweep reads and writes every weight once, so its
/// traffic is compared with a copy's: both count bytes read plus bytes written.
/// </summary>
/// <remarks>Owns two native buffers while alive; dispose it to free them.</remarks>
public sealed unsafe class CopyRoofline : IDisposable
{
    private byte* _source;
    private byte* _destination;

    /// <summary>Allocates and touches two buffers of <paramref name="bytes"/> each.</summary>
    public CopyRoofline(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 4096);
        Bytes = bytes;
        _source = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 4096);
        _destination = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 4096);
        NativeMemory.Fill(_source, (nuint)bytes, 1);
        NativeMemory.Fill(_destination, (nuint)bytes, 2);
    }

    /// <summary>Bytes per buffer.</summary>
    public long Bytes { get; }

    /// <summary>Copies the source buffer into the destination once, split into <paramref name="threads"/> contiguous parts.</summary>
    public void Copy(int threads)
    {
        ObjectDisposedException.ThrowIf(_source == null, this);
        long part = (Bytes / threads + 63) / 64 * 64;
        if (threads <= 1)
        {
            Buffer.MemoryCopy(_source, _destination, Bytes, Bytes);
            return;
        }
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            long start = t * part;
            long count = Math.Min(part, Bytes - start);
            if (count > 0) Buffer.MemoryCopy(_source + start, _destination + start, count, count);
        });
    }

    /// <summary>
    /// Median traffic (read + written bytes per second, in GB/s, 1 GB = 10⁹ bytes) of
    /// <paramref name="repeats"/> copies after one warm-up copy.
    /// </summary>
    public double Measure(int threads, int repeats = 7)
    {
        Copy(threads);
        var rates = new List<double>(repeats);
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Copy(threads);
            rates.Add(2.0 * Bytes / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9);
        }
        return Stats.Median(rates);
    }

    public void Dispose()
    {
        if (_source == null) return;
        NativeMemory.AlignedFree(_source);
        NativeMemory.AlignedFree(_destination);
        _source = null;
        _destination = null;
    }
}
