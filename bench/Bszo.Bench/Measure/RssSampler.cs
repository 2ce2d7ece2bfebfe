using System.Diagnostics;
using Bszo.Bench.Probes;
using Bszo.Ort.Runtime;

namespace Bszo.Bench.Measure;

/// <summary>
/// Samples this process's resident memory on a background thread, labelled with the phase the
/// measured code reports (<see cref="Phase"/>): the time series that shows where a peak comes from.
/// </summary>
/// <remarks>
/// A sample is kept when the phase changes or the resident size moved by at least
/// <see cref="Threshold"/> bytes, so a long run yields a short series.
/// </remarks>
public sealed class RssSampler : IDisposable
{
    private const long Threshold = 2L << 20;
    private readonly List<RssSample> _samples = [];
    private readonly Thread _thread;
    private readonly int _intervalMs;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private volatile bool _stop;
    private volatile string _phase = "load";

    /// <summary>Starts sampling every <paramref name="intervalMs"/> milliseconds.</summary>
    public RssSampler(int intervalMs)
    {
        _intervalMs = Math.Max(1, intervalMs);
        _thread = new Thread(Run) { IsBackground = true, Name = "rss-sampler", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>What the measured code is doing now.</summary>
    public string Phase
    {
        get => _phase;
        set => _phase = value;
    }

    /// <summary>Stops sampling and returns the series.</summary>
    public List<RssSample> Finish()
    {
        _stop = true;
        _thread.Join();
        lock (_samples) return [.. _samples];
    }

    public void Dispose()
    {
        if (!_stop) Finish();
    }

    private void Run()
    {
        long last = -1;
        string lastPhase = "";
        while (!_stop)
        {
            long rss = MemoryProbe.Sample().Resident;
            string phase = _phase;
            if (phase != lastPhase || Math.Abs(rss - last) >= Threshold)
            {
                lock (_samples) _samples.Add(new RssSample(_clock.Elapsed.TotalSeconds, rss, phase));
                last = rss;
                lastPhase = phase;
            }
            Thread.Sleep(_intervalMs);
        }
    }
}
