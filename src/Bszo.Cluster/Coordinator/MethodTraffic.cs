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
