namespace Bszo.Tests.Support;

/// <summary>Managed allocations of code in its steady state.</summary>
internal static class Allocations
{
    /// <summary>
    /// The fewest bytes the current thread allocated over one round of <paramref name="perRound"/>
    /// calls, among <paramref name="rounds"/> rounds (after one warm-up call).
    /// </summary>
    /// <remarks>
    /// Taking the best round matters when the test runs inside a long suite: the runtime
    /// occasionally allocates a couple of kilobytes on the calling thread at a random moment (seen
    /// once in a few hundred sweeps, with tiered compilation on or off, never with the test run
    /// alone), which would make a single measurement flaky. Code that allocates per call allocates
    /// in every round.
    /// </remarks>
    public static long BestRound(Action action, int rounds = 5, int perRound = 50)
    {
        ArgumentNullException.ThrowIfNull(action);
        action();
        long best = long.MaxValue;
        for (int r = 0; r < rounds && best != 0; r++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < perRound; i++) action();
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return best;
    }
}
