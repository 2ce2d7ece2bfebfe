using Bszo.Cluster.Protocol;
using Bszo.Cluster.Training;
using Bszo.Ort.Optimizers;

namespace Bszo.Cluster.Coordinator;

/// <summary>Options of a coordinator: the run it drives, where it listens, and its failure policy.</summary>
/// <remarks>
/// <para><b>The lead.</b> With <see cref="Lead"/> set, a trainer in the coordinator's own process takes
/// part in every step without holding rows: it evaluates, checkpoints and writes the run's trajectory
/// log, every step boundary waits for it, and it decides when the run ends (its last step, or early
/// stopping). Workers hold the rows: each forward pass's loss is their mean.</para>
/// <para><b>Failure policy.</b> A worker is lost when it sends no heartbeat for
/// <see cref="HeartbeatTimeout"/> (a dead process or machine), or when it holds up a forward pass or a
/// step boundary for <see cref="StallTimeout"/> while still alive (a hung device). The step in progress
/// then completes over the remaining workers, and the run continues while at least
/// <see cref="MinWorkers"/> remain. With fewer, the run pauses at the next step boundary (weights
/// unperturbed, nothing lost) until enough workers join, and fails after <see cref="PauseTimeout"/>.
/// Pausing rather than continuing alone is the choice because a run sized for N workers would be
/// N/MinWorkers times slower per step, which an operator should decide on.</para>
/// </remarks>
public sealed record ClusterCoordinatorOptions
{
    /// <summary>Name of the run (the coordinator grain's key); workers name it too.</summary>
    public string RunName { get; init; } = "default";

    /// <summary>What every worker trains.</summary>
    public required ClusterTrainingSpec Spec { get; init; }

    /// <summary>Where the model, task and data come from (handed to workers unread; see <see cref="RunDescription.SetupJson"/>).</summary>
    public required string SetupJson { get; init; }

    /// <summary>The run's base weights and training examples: workers whose own differ are refused.</summary>
    public required RunFingerprint Fingerprint { get; init; }

    /// <summary>Steps the run has already taken (a resumed run's trajectory log): joiners replay them.</summary>
    public IReadOnlyList<StepRecord> Records { get; init; } = [];

    /// <summary>Whether a lead trainer in this process takes part in every step (see the remarks).</summary>
    public bool Lead { get; init; } = true;

    /// <summary>Network settings (loopback by default).</summary>
    public ClusterEndpoint Endpoint { get; init; } = new();

    /// <summary>Workers that must be present before the first step.</summary>
    public int StartWorkers { get; init; } = 1;

    /// <summary>Fewer workers than this pause the run at the next step boundary.</summary>
    public int MinWorkers { get; init; } = 1;

    /// <summary>A worker silent for this long is declared dead. Workers send heartbeats five times as often.</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A live worker that holds up a forward pass or a step boundary this long is evicted.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>A run paused for want of workers this long fails.</summary>
    public TimeSpan PauseTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest time a waiting call is held before it is answered "retry".</summary>
    public TimeSpan PollHold { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After the run ends the coordinator stays up this long, so that every worker hears the outcome.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Called for membership changes and completed steps (from coordinator threads; keep it short).</summary>
    public Action<ClusterEvent>? OnEvent { get; init; }

    /// <summary>Checks the values.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Spec);
        ArgumentNullException.ThrowIfNull(Fingerprint);
        Spec.Validate();
        Endpoint.Validate();
        ArgumentException.ThrowIfNullOrWhiteSpace(RunName);
        if (MinWorkers < 1) Fail("minimum workers", "≥ 1", MinWorkers);
        if (StartWorkers < MinWorkers) Fail("start workers", $"≥ the minimum ({MinWorkers})", StartWorkers);
        if (Records.Count > Spec.Steps) Fail("recorded steps", $"at most the run's {Spec.Steps} steps", Records.Count);
        if (HeartbeatTimeout <= TimeSpan.Zero || StallTimeout <= TimeSpan.Zero || PauseTimeout <= TimeSpan.Zero || PollHold <= TimeSpan.Zero)
        {
            Throw.Bszo("Invalid cluster option: timeouts.", "positive durations");
        }
    }

    private static void Fail(string option, string expected, int found) =>
        Throw.Bszo($"Invalid cluster option: {option}.", expected, found.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
