using System.Diagnostics;
using System.Globalization;

namespace Bszo.Bench.Measure;

/// <summary>
/// Samples a CUDA device's used memory with <c>nvidia-smi</c> (every 100 ms) while a probe runs, for the
/// device's share of a configuration's footprint. ONNX Runtime's C# API does not report device memory, and
/// the probe runs in a child process, so the GPU's total used memory is watched from outside: the peak over
/// the probe minus the memory in use before it started is what the probe took.
/// </summary>
/// <remarks>Owns the <c>nvidia-smi</c> process; dispose it to stop sampling. One probe at a time per GPU.</remarks>
public sealed class DeviceMemorySampler : IDisposable
{
    private readonly Process _process;
    private readonly Task _reader;
    private long _peakMiB;

    private DeviceMemorySampler(Process process, long baselineMiB)
    {
        _process = process;
        BaselineBytes = baselineMiB << 20;
        _reader = Task.Run(Read);
    }

    /// <summary>Device memory in use before the probe started.</summary>
    public long BaselineBytes { get; }

    /// <summary>The most device memory in use at any sample, less <see cref="BaselineBytes"/>.</summary>
    public long PeakAboveBaselineBytes => Math.Max(0, (Interlocked.Read(ref _peakMiB) << 20) - BaselineBytes);

    /// <summary>Starts sampling GPU <paramref name="index"/>; null when nvidia-smi cannot be run (no NVIDIA driver here).</summary>
    public static DeviceMemorySampler? TryStart(int index)
    {
        if (Query(index, loop: false) is not { } once) return null;
        using var probe = once;
        var first = probe.StandardOutput.ReadLine();
        probe.WaitForExit();
        if (probe.ExitCode != 0 || !TryParse(first, out long baseline)) return null;
        var process = Query(index, loop: true);
        return process is null ? null : new DeviceMemorySampler(process, baseline);
    }

    private static Process? Query(int index, bool loop)
    {
        var info = new ProcessStartInfo("nvidia-smi") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", index.ToString(CultureInfo.InvariantCulture) }) info.ArgumentList.Add(a);
        if (loop) info.ArgumentList.Add("-lms=100");
        try
        {
            return Process.Start(info);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static bool TryParse(string? line, out long mib) => long.TryParse(line?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out mib);

    private void Read()
    {
        for (string? line; (line = _process.StandardOutput.ReadLine()) is not null;)
        {
            if (!TryParse(line, out long mib)) continue;
            long seen = Interlocked.Read(ref _peakMiB);
            while (mib > seen && Interlocked.CompareExchange(ref _peakMiB, mib, seen) != seen) seen = Interlocked.Read(ref _peakMiB);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        _reader.Wait(TimeSpan.FromSeconds(2));
        _process.Dispose();
    }
}
