namespace Bszo.Cluster.Worker;

/// <summary>The worker is no longer part of the run's step in progress (evicted, or the coordinator was lost); it rejoins.</summary>
internal sealed class MembershipLostException : Exception
{
    public MembershipLostException(string message) : base(message) { }

    public MembershipLostException(string message, Exception innerException) : base(message, innerException) { }

    public MembershipLostException() { }
}
