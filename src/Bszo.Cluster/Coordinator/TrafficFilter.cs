using Bszo.Cluster.Protocol;
using Orleans.Serialization;

namespace Bszo.Cluster.Coordinator;

/// <summary>Feeds <see cref="TrafficMeter"/>: the serialized size of each coordinator request and response.</summary>
internal sealed class TrafficFilter(TrafficMeter meter, Serializer serializer) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.DeclaringType != typeof(ICoordinatorGrain))
        {
            await context.Invoke();
            return;
        }
        // Serializing again costs a few microseconds per call: nothing next to a forward pass.
        long request = serializer.SerializeToArray<object>(context.Request).Length;
        await context.Invoke();
        bool oneWay = context.InterfaceMethod?.IsDefined(typeof(Orleans.Concurrency.OneWayAttribute), inherit: false) == true;
        long response = oneWay || context.Response is null ? 0 : serializer.SerializeToArray<object>(context.Response).Length;
        meter.Add(context.MethodName, request, response);
    }
}
