using System.Diagnostics.Metrics;

namespace Bszo.Cluster.Coordinator;

/// <summary>
/// Counts the coordinator's traffic at the engine boundary: a grain call filter adds the serialized
/// size of every request and response of the coordinator grain, and a listener on Orleans' messaging
/// instruments adds whole messages (headers included) as Orleans writes and reads them.
/// </summary>
/// <remarks>
/// The messaging instruments are process-wide: in a process that also runs Orleans clients the wire
/// figures include their messages. Owns a <see cref="MeterListener"/>; dispose to stop listening.
/// </remarks>
public sealed class TrafficMeter : IDisposable
{
    private static readonly HashSet<string> WireInstruments = new(StringComparer.Ordinal)
    {
        "orleans-messaging-sent-messages-size",
        "orleans-messaging-received-messages-size",
    };

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long Calls, long Request, long Response)> _methods = new(StringComparer.Ordinal);
    private readonly MeterListener _listener = new();
    private long _wireMessages;
    private long _wireBytes;

    public TrafficMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (WireInstruments.Contains(instrument.Name)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<int>((_, bytes, _, _) => AddWire(bytes));
        _listener.SetMeasurementEventCallback<long>((_, bytes, _, _) => AddWire(bytes));
        _listener.Start();
    }

    /// <summary>Adds one call of <paramref name="method"/>.</summary>
    public void Add(string method, long requestBytes, long responseBytes)
    {
        lock (_gate)
        {
            _methods.TryGetValue(method, out var t);
            _methods[method] = (t.Calls + 1, t.Request + requestBytes, t.Response + responseBytes);
        }
    }

    /// <summary>The counts so far.</summary>
    public TrafficReport Report()
    {
        lock (_gate)
        {
            return new TrafficReport(
                [.. _methods.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new MethodTraffic(m.Key, m.Value.Calls, m.Value.Request, m.Value.Response))],
                Interlocked.Read(ref _wireMessages), Interlocked.Read(ref _wireBytes));
        }
    }

    public void Dispose() => _listener.Dispose();

    private void AddWire(long bytes)
    {
        Interlocked.Increment(ref _wireMessages);
        Interlocked.Add(ref _wireBytes, bytes);
    }
}
