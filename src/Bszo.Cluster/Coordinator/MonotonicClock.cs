using System.Diagnostics;

namespace Bszo.Cluster.Coordinator;

/// <summary>Monotonic time for liveness decisions (wall-clock changes must not kill workers).</summary>
internal static class MonotonicClock
{
    private static readonly long Origin = Stopwatch.GetTimestamp();

    public static TimeSpan Now => Stopwatch.GetElapsedTime(Origin);
}
