using System.Diagnostics.Metrics;

namespace Bszo.Cluster.Coordinator;

/// <summary>Calls and bytes of one coordinator method.</summary>
/// <param name="Method">The grain method.</param>
/// <param name="Calls">Calls received.</param>
/// <param name="RequestBytes">Serialized request bodies (Orleans' own serializer), summed.</param>
/// <param name="ResponseBytes">Serialized response bodies, summed (0 for one-way calls).</param>
public sealed record MethodTraffic(string Method, long Calls, long RequestBytes, long ResponseBytes)
{
    /// <summary>Messages on the wire: a request, and a response unless the call is one-way.</summary>
    public long Messages(bool oneWay) => oneWay ? Calls : 2 * Calls;
}

/// <summary>What crossed the coordinator's boundary.</summary>
/// <param name="Methods">Per grain method: calls and serialized payload bytes, counted by a grain call filter.</param>
/// <param name="WireMessages">Messages the coordinator's process sent and received (headers included), from Orleans' messaging metrics.</param>
/// <param name="WireBytes">Bytes of those messages.</param>
public sealed record TrafficReport(IReadOnlyList<MethodTraffic> Methods, long WireMessages, long WireBytes)
{
    /// <summary>The traffic of one method (zeros if it was never called).</summary>
    public MethodTraffic this[string method] => Methods.FirstOrDefault(m => m.Method == method) ?? new MethodTraffic(method, 0, 0, 0);
}

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
