namespace Bszo.Cluster.Coordinator;

/// <summary>What crossed the coordinator's boundary.</summary>
/// <param name="Methods">Per grain method: calls and serialized payload bytes, counted by a grain call filter.</param>
/// <param name="WireMessages">Messages the coordinator's process sent and received (headers included), from Orleans' messaging metrics.</param>
/// <param name="WireBytes">Bytes of those messages.</param>
public sealed record TrafficReport(IReadOnlyList<MethodTraffic> Methods, long WireMessages, long WireBytes)
{
    /// <summary>The traffic of one method (zeros if it was never called).</summary>
    public MethodTraffic this[string method] => Methods.FirstOrDefault(m => m.Method == method) ?? new MethodTraffic(method, 0, 0, 0);
}
