namespace Bszo.Cluster.Coordinator;

/// <summary>How far a worker is in: connected and catching up, taking part in steps, or dropped.</summary>
internal enum MemberState
{
    Joining,
    Active,
    Gone,
}

/// <summary>One worker as the coordinator sees it.</summary>
internal sealed class Member(string name)
{
    public string Name { get; } = name;

    /// <summary>Bumped by every join, so that calls from a previous life of the same worker are refused.</summary>
    public int Incarnation { get; set; }

    public MemberState State { get; set; } = MemberState.Gone;

    /// <summary>Monotonic time of the last call or heartbeat.</summary>
    public TimeSpan LastSeen { get; set; }

    /// <summary>For a joiner: the step it last asked to begin (it follows the run there by replaying); −1 when unknown.</summary>
    public long ReadyAt { get; set; } = -1;

    /// <summary>Times the worker was admitted at a step boundary.</summary>
    public int Admissions { get; set; }
}
