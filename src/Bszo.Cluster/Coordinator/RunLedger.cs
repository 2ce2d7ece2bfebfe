using Bszo.Cluster.Protocol;
using Bszo.Cluster.Training;
using Bszo.Ort.Optimizers;

namespace Bszo.Cluster.Coordinator;

/// <summary>
/// The coordinator's logic, free of Orleans: membership, step boundaries, loss rounds, checksum and
/// record comparison, and the trajectory. The grain is a thin front over it; tests drive it directly.
/// </summary>
/// <remarks>
/// <para>All state changes happen under one lock and take the current monotonic time as an argument,
/// so the logic is deterministic given the calls. Waiting calls get tasks that complete when a round
/// or a boundary resolves; the caller bounds the wait.</para>
/// <para><b>Protocol.</b> A worker joins, replays records up to the run's current step, and arrives
/// at that step's boundary. The boundary resolves once every active member has arrived; workers are
/// ranked by name, and rank i of N takes shard i. Joiners are admitted only at checksum steps (or when
/// no active member is left), so that a replayed worker's weights are verified before it contributes.
/// The first arrival at boundary t + 1 hands in the record of step t, which is appended to the
/// records; every later arrival's record must be bitwise identical to it.</para>
/// <para><b>The lead</b> (<see cref="LeadName"/>, when the options ask for one) is a member that holds
/// no rows: every boundary waits for it, loss rounds do not (it reads their values with
/// <see cref="LeadLoss"/>), it is never declared dead or stalled (it lives in this process), and its
/// arrival can end the run (<see cref="StepArrival.EndsRun"/>). Its trainer keeps the durable log; the
/// ledger's records live in memory, seeded with the steps a resumed run had already taken.</para>
/// </remarks>
internal sealed class RunLedger
{
    /// <summary>The member name of the lead trainer (reserved: no worker may use it).</summary>
    public const string LeadName = "lead";

    private readonly Lock _gate = new();
    private readonly ClusterCoordinatorOptions _options;
    private readonly ClusterTrainingSpec _spec;
    private readonly List<StepRecord> _records;
    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly List<ClusterEvent> _events = [];
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private StepBarrier? _barrier;
    private RunningStep? _running;
    private TaskCompletionSource _recordAppended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _started;
    private bool _stopRequested;

    public RunLedger(ClusterCoordinatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _spec = options.Spec;
        _records = [.. options.Records];
    }

    public RunState State { get; private set; } = RunState.Running;

    public string? Error { get; private set; }

    public string? FinalChecksum { get; private set; }

    /// <summary>Completes when the run has completed or failed.</summary>
    public Task Finished => _finished.Task;

    /// <summary>The run description handed to workers.</summary>
    public RunDescription Describe() => new() { RunName = _options.RunName, SpecJson = _spec.ToJson(), SetupJson = _options.SetupJson };

    /// <summary>A consistent view of the run.</summary>
    public ClusterStatus Status()
    {
        lock (_gate)
        {
            return new ClusterStatus
            {
                State = State,
                StepsRecorded = _records.Count,
                Members = [.. _members.Values.Where(m => m.State == MemberState.Active).Select(m => m.Name).Order(StringComparer.Ordinal)],
                Joining = [.. _members.Values.Where(m => m.State == MemberState.Joining).Select(m => m.Name).Order(StringComparer.Ordinal)],
                Error = Error,
                FinalChecksum = FinalChecksum,
            };
        }
    }

    /// <summary>The recorded steps (copies), for summaries and tests.</summary>
    public StepRecord[] Records(long from, int max)
    {
        lock (_gate)
        {
            if (from < 0 || from >= _records.Count || max <= 0) return [];
            return [.. _records.Skip(checked((int)from)).Take(max)];
        }
    }

    /// <summary>Asks the run to end at the next checksum step (all workers' weights are compared there).</summary>
    public void RequestStop(TimeSpan now)
    {
        lock (_gate)
        {
            _stopRequested = true;
            if (_barrier is not null) TryResolveBarrier(now);
        }
        Publish();
    }

    public JoinReply Join(JoinRequest request, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(request);
        JoinReply reply;
        lock (_gate)
        {
            reply = request.Worker == LeadName
                ? new JoinReply { Accepted = false, Error = BszoException.Format($"The worker name '{LeadName}' is reserved for the coordinator's own trainer.", hint: "give the worker another --name.") }
                : JoinLocked(request.Worker, request.Fingerprint, now);
        }
        Publish();
        return reply;
    }

    /// <summary>Registers the lead trainer (in this process): it arrives at the next boundary with its weights' checksum.</summary>
    public JoinReply JoinLead(TimeSpan now)
    {
        if (!_options.Lead) throw new InvalidOperationException("This run has no lead.");
        JoinReply reply;
        lock (_gate) reply = JoinLocked(LeadName, _options.Fingerprint, now);
        Publish();
        return reply;
    }

    /// <summary>
    /// The lead's view of forward pass <paramref name="evaluation"/> of step <paramref name="step"/>: the
    /// loss the workers' shards average to, once all are in (NaN when the step was abandoned).
    /// </summary>
    public Task<double> LeadLoss(long step, int evaluation)
    {
        lock (_gate)
        {
            if (State == RunState.Failed) return Task.FromResult(double.NaN);
            // Quick workers may have finished the step and handed in its record while the lead was still sweeping.
            if (step < _records.Count && evaluation < _records[checked((int)step)].Losses.Count) return Task.FromResult(_records[checked((int)step)].Losses[evaluation]);
            if (_running is not { } r || r.Step != step || r.Round(evaluation) is not { } round)
            {
                throw new InvalidOperationException($"The lead asked for forward pass {evaluation} of step {step}, which is not running.");
            }
            return round.Completion.Task;
        }
    }

    public void Heartbeat(string worker, int incarnation, TimeSpan now)
    {
        lock (_gate)
        {
            if (_members.TryGetValue(worker, out var m) && m.Incarnation == incarnation && m.State != MemberState.Gone) m.LastSeen = now;
        }
    }

    /// <summary>A worker at a step boundary. The task completes when the boundary resolves (or at once).</summary>
    public Task<StepPlan> BeginStep(StepArrival arrival, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(arrival);
        Task<StepPlan> result;
        lock (_gate) result = BeginStepLocked(arrival, now);
        Publish();
        return result;
    }

    /// <summary>A worker's shard loss. The task completes with the global loss once every member's part is in.</summary>
    public Task<RoundReply> Submit(LossContribution part, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(part);
        Task<RoundReply> result;
        lock (_gate) result = SubmitLocked(part, now);
        Publish();
        return result;
    }

    /// <summary>Stops the run with an error from outside the protocol (the program running the coordinator gave up on it).</summary>
    public void Abort(string what, string hint)
    {
        lock (_gate) Fail(what, hint);
        Publish();
    }

    /// <summary>Drops a worker known to be gone (its process exited) without waiting for its heartbeats to stop.</summary>
    public void Drop(string worker, string reason, TimeSpan now)
    {
        lock (_gate)
        {
            if (State == RunState.Running && worker != LeadName && _members.TryGetValue(worker, out var m) && m.State != MemberState.Gone) Lose(m, reason, now);
        }
        Publish();
    }

    /// <summary>Declares silent workers dead, evicts stalled ones, and fails a run paused too long.</summary>
    public void Tick(TimeSpan now)
    {
        lock (_gate)
        {
            if (State != RunState.Running) return;
            foreach (var m in Workers.Where(m => m.State != MemberState.Gone && now - m.LastSeen > _options.HeartbeatTimeout).ToList())
            {
                Lose(m, $"no heartbeat for {(now - m.LastSeen).TotalSeconds:F1} s", now);
            }
            if (_running is { } r && now - r.LastProgress > _options.StallTimeout)
            {
                var open = r.Open;
                foreach (var w in r.Alive.Where(w => open is null || !open.Has(w)).ToList())
                {
                    Lose(_members[w], $"stalled in step {r.Step} for {_options.StallTimeout.TotalSeconds:F0} s", now);
                }
            }
            if (_barrier is { } b)
            {
                if (now - b.OpenedAt > _options.StallTimeout)
                {
                    foreach (var m in Workers.Where(m => m.State == MemberState.Active && !b.Arrivals.ContainsKey(m.Name)).ToList())
                    {
                        Lose(m, $"did not reach step {b.Step} within {_options.StallTimeout.TotalSeconds:F0} s", now);
                    }
                    foreach (var m in _members.Values.Where(m => m.State == MemberState.Joining && m.ReadyAt == b.Step - 1 && !b.Arrivals.ContainsKey(m.Name)))
                    {
                        m.ReadyAt = -1; // a joiner that did not follow is not waited for again; it can join at a later checksum step
                    }
                }
                if (_barrier is not null) TryResolveBarrier(now);
                if (_barrier is { ShortSince: { } since } && now - since > _options.PauseTimeout)
                {
                    Fail($"The run waited {_options.PauseTimeout.TotalSeconds:F0} s at step {_barrier.Step} for at least {NeededWorkers} workers; {_barrier.Arrivals.Count} came.",
                        "start more workers, or lower --min-workers.");
                }
            }
        }
        Publish();
    }

    private int NeededWorkers => _started ? _options.MinWorkers : _options.StartWorkers;

    /// <summary>The members that hold rows (every member but the lead).</summary>
    private IEnumerable<Member> Workers => _members.Values.Where(m => m.Name != LeadName);

    private JoinReply JoinLocked(string worker, RunFingerprint fingerprint, TimeSpan now)
    {
        if (State == RunState.Failed) return new JoinReply { Accepted = false, Error = Error };
        var refusal = CheckFingerprint(worker, fingerprint);
        if (refusal is not null) return new JoinReply { Accepted = false, Error = refusal };

        if (!_members.TryGetValue(worker, out var m))
        {
            m = new Member(worker);
            _members.Add(m.Name, m);
        }
        if (m.State != MemberState.Gone) Forget(m, now); // its previous life ended without notice
        m.Incarnation++;
        m.State = MemberState.Joining;
        m.ReadyAt = -1;
        m.LastSeen = now;
        Emit(ClusterEventKind.WorkerJoined, _records.Count, m.Name, $"incarnation {m.Incarnation}");
        return new JoinReply { Accepted = true, Incarnation = m.Incarnation, RecordedSteps = _records.Count };
    }

    private string? CheckFingerprint(string worker, RunFingerprint fingerprint)
    {
        var run = _options.Fingerprint;
        if (fingerprint.BaseWeightsSha256 != run.BaseWeightsSha256 || fingerprint.TrainableElements != run.TrainableElements)
        {
            return BszoException.Format($"Worker '{worker}' has other base weights than the run.",
                $"{run.BaseWeightsSha256} ({run.TrainableElements} trainable elements)", $"{fingerprint.BaseWeightsSha256} ({fingerprint.TrainableElements})",
                "every worker must load the run's model with the same trainable tensors.");
        }
        return fingerprint.TrainExamplesSha256 == run.TrainExamplesSha256 ? null : BszoException.Format(
            $"Worker '{worker}' loaded other training examples than the run.", run.TrainExamplesSha256, fingerprint.TrainExamplesSha256,
            "every machine needs the same data files (and the same task, split sizes and data seed, which come from the coordinator).");
    }

    private Task<StepPlan> BeginStepLocked(StepArrival arrival, TimeSpan now)
    {
        if (State == RunState.Failed) return Task.FromResult(StepPlan.Of(Verdict.Failed, Error));
        if (!_members.TryGetValue(arrival.Worker, out var m) || m.Incarnation != arrival.Incarnation || m.State == MemberState.Gone)
        {
            return Task.FromResult(StepPlan.Of(Verdict.Evicted, "this worker is no longer a member; it must rejoin."));
        }
        m.LastSeen = now;
        if (m.State == MemberState.Joining) m.ReadyAt = arrival.Step;

        if (arrival.Completed is { } completed && !HandIn(m, arrival, completed, now)) return Task.FromResult(Reject(m, now));
        if (State == RunState.Failed) return Task.FromResult(StepPlan.Of(Verdict.Failed, Error));

        long recorded = _records.Count;
        if (State == RunState.Completed)
        {
            if (arrival.Step < recorded) return Task.FromResult(StepPlan.Of(Verdict.CatchUp));
            if (arrival.Step == recorded && (arrival.Checksum is null || arrival.Checksum == FinalChecksum)) return Task.FromResult(new StepPlan { Verdict = Verdict.Done, Step = recorded });
            return Task.FromResult(StepPlan.Of(Verdict.Failed, BszoException.Format($"Worker '{m.Name}' ends with other weights than the run.", FinalChecksum, arrival.Checksum)));
        }
        if (arrival.Step < recorded) return Task.FromResult(StepPlan.Of(Verdict.CatchUp));
        if (arrival.Step > recorded) return Task.FromResult(Reject(m, now));

        if (_running is { } running)
        {
            if (m.Name == LeadName && m.State == MemberState.Active) return Task.FromResult(LeadPlan(running.Step, running.Participants.Count));
            int rank = IndexOf(running.Participants, m.Name);
            if (rank >= 0 && running.Alive.Contains(m.Name))
            {
                return Task.FromResult(new StepPlan { Verdict = Verdict.Go, Step = running.Step, Shard = rank, Shards = running.Participants.Count });
            }
            // A joiner that missed this step's boundary: it catches up once the step is recorded.
            var appended = _recordAppended.Task;
            return Continue(appended, () => StepPlan.Of(Verdict.CatchUp));
        }

        var barrier = _barrier ??= new StepBarrier(recorded, now);
        barrier.Arrive(m.Name, arrival.Checksum);
        if (arrival.EndsRun && m.Name == LeadName) barrier.EndRequested = true;
        TryResolveBarrier(now);
        var worker = m.Name;
        int incarnation = m.Incarnation;
        return Continue(barrier.Completion.Task, outcome => PlanFor(worker, incarnation, outcome));
    }

    /// <summary>Takes the record of the step a worker just ran; false when the worker must be rejected.</summary>
    private bool HandIn(Member m, StepArrival arrival, StepRecord record, TimeSpan now)
    {
        if (record.Step != arrival.Step - 1) return false;
        long recorded = _records.Count;
        if (record.Step < recorded)
        {
            var difference = RecordComparison.Difference(_records[checked((int)record.Step)], record);
            if (difference is not null) Fail($"Worker '{m.Name}' ran step {record.Step} differently from the others ({difference}).", DivergenceHint);
            return true;
        }
        if (record.Step > recorded) return false;
        if (_running is { } r)
        {
            // The lead takes every step without rows, so it is never among a step's living shard holders.
            if (r.Step != record.Step || (m.Name != LeadName && !r.Alive.Contains(m.Name))) return false;
            var reported = r.Rounds.Where(x => x.Value is not null).Select(x => x.Value!.Value).ToList();
            var difference = RecordComparison.LossDifference(reported, record.Losses);
            if (difference is not null)
            {
                Fail($"Worker '{m.Name}' recorded other losses for step {record.Step} than the coordinator reported ({difference}).", DivergenceHint);
                return true;
            }
        }
        // Without a step in progress the coordinator restarted after the step ended: the worker's record is the
        // only account of it, and every worker that ran it received the same losses.
        _running = null;
        _records.Add(record);
        var signal = _recordAppended;
        _recordAppended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        signal.TrySetResult();
        Emit(ClusterEventKind.StepCompleted, record.Step, null, null, record.ReportedLoss);
        return true;
    }

    private StepPlan Reject(Member m, TimeSpan now)
    {
        // A worker out of step with the run (e.g. ahead of a restarted coordinator) starts over from its snapshot.
        if (m.State != MemberState.Gone) Forget(m, now);
        m.State = MemberState.Gone;
        return StepPlan.Of(Verdict.Evicted, "this worker's step does not fit the run; it must rejoin.");
    }

    private void TryResolveBarrier(TimeSpan now)
    {
        if (_barrier is not { } b || State != RunState.Running) return;
        var active = _members.Values.Where(m => m.State == MemberState.Active).ToList();
        if (active.Any(m => !b.Arrivals.ContainsKey(m.Name))) return;
        // Every step waits for the lead: it evaluates and checkpoints between steps, and only it knows when the run ends.
        if (_options.Lead && !b.Arrivals.ContainsKey(LeadName)) return;

        bool admitJoiners = _spec.IsChecksumStep(b.Step) || active.Count == 0;
        // A joiner that waited through the previous step replays its record and arrives here within a round
        // trip; without waiting for it, members that are always quicker would keep it out for ever.
        if (admitJoiners && _members.Values.Any(m => m.State == MemberState.Joining && m.ReadyAt == b.Step - 1 && !b.Arrivals.ContainsKey(m.Name))) return;
        var admitted = b.Arrivals
            .Where(a => _members[a.Key].State == MemberState.Active || (admitJoiners && a.Value is not null))
            .Select(a => a.Key).Order(StringComparer.Ordinal).ToList();
        var participants = admitted.Where(name => name != LeadName).ToList();
        bool final = b.Step >= _spec.Steps || b.EndRequested || (_stopRequested && _spec.IsChecksumStep(b.Step));
        if (participants.Count < NeededWorkers && !final)
        {
            if (b.ShortSince is null)
            {
                b.ShortSince = now;
                Emit(ClusterEventKind.Paused, b.Step, null, $"{participants.Count} of at least {NeededWorkers} workers present");
            }
            return;
        }

        var checksums = admitted.Select(p => (Worker: p, Checksum: b.Arrivals[p])).Where(p => p.Checksum is not null).ToList();
        if (checksums.Select(c => c.Checksum).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            Fail($"Weights differ between workers at step {b.Step}: {string.Join(", ", checksums.Select(c => $"{c.Worker} {Short(c.Checksum)}"))}.", DivergenceHint);
            return;
        }
        foreach (var p in admitted)
        {
            var m = _members[p];
            if (m.State == MemberState.Joining)
            {
                m.State = MemberState.Active;
                m.Admissions++;
                Emit(ClusterEventKind.WorkerAdmitted, b.Step, p, $"weights {Short(checksums.FirstOrDefault().Checksum)}");
            }
        }
        _barrier = null;
        _started = true;
        if (final)
        {
            State = RunState.Completed;
            FinalChecksum = checksums.FirstOrDefault().Checksum;
            Emit(ClusterEventKind.RunCompleted, b.Step, null, $"weights {FinalChecksum}");
            b.Completion.TrySetResult(new BarrierOutcome(b.Step, participants, Final: true));
            _finished.TrySetResult();
            return;
        }
        _running = new RunningStep(b.Step, participants, now);
        b.Completion.TrySetResult(new BarrierOutcome(b.Step, participants, Final: false));
    }

    private StepPlan PlanFor(string worker, int incarnation, BarrierOutcome outcome)
    {
        lock (_gate)
        {
            if (outcome.Error is not null) return StepPlan.Of(Verdict.Failed, outcome.Error);
            if (!_members.TryGetValue(worker, out var m) || m.Incarnation != incarnation || m.State == MemberState.Gone) return StepPlan.Of(Verdict.Evicted);
            if (outcome.Final && m.State == MemberState.Active) return new StepPlan { Verdict = Verdict.Done, Step = outcome.Step };
            if (worker == LeadName) return LeadPlan(outcome.Step, outcome.Participants.Count);
            int rank = IndexOf(outcome.Participants, worker);
            if (rank < 0) return StepPlan.Of(Verdict.CatchUp); // not admitted at this (non-checksum) boundary
            return new StepPlan { Verdict = Verdict.Go, Step = outcome.Step, Shard = rank, Shards = outcome.Participants.Count };
        }
    }

    /// <summary>The lead's plan: take the step, with no shard of its own.</summary>
    private static StepPlan LeadPlan(long step, int shards) => new() { Verdict = Verdict.Go, Step = step, Shard = 0, Shards = shards };

    private Task<RoundReply> SubmitLocked(LossContribution part, TimeSpan now)
    {
        if (State == RunState.Failed) return Task.FromResult(RoundReply.Of(Verdict.Failed, Error));
        if (!_members.TryGetValue(part.Worker, out var m) || m.Incarnation != part.Incarnation || m.State != MemberState.Active)
        {
            return Task.FromResult(RoundReply.Of(Verdict.Evicted));
        }
        m.LastSeen = now;
        if (_running is not { } r || r.Step != part.Step || !r.Alive.Contains(m.Name) || r.Round(part.Evaluation) is not { } round)
        {
            return Task.FromResult(RoundReply.Of(Verdict.Evicted));
        }
        round.Add(m.Name, part.Sum, part.Count);
        Complete(r, round, now);
        var worker = m.Name;
        int incarnation = m.Incarnation;
        return Continue(round.Completion.Task, value => ReplyFor(worker, incarnation, value));
    }

    private RoundReply ReplyFor(string worker, int incarnation, double value)
    {
        lock (_gate)
        {
            if (State == RunState.Failed) return RoundReply.Of(Verdict.Failed, Error);
            if (!_members.TryGetValue(worker, out var m) || m.Incarnation != incarnation || m.State == MemberState.Gone || double.IsNaN(value))
            {
                return RoundReply.Of(Verdict.Evicted);
            }
            return new RoundReply { Verdict = Verdict.Go, Loss = value };
        }
    }

    private void Complete(RunningStep r, LossRound round, TimeSpan now)
    {
        var value = r.TryComplete(round, now, out long examples);
        if (value is null) return;
        if (examples == 0)
        {
            Fail($"Step {r.Step} has no examples across {r.Alive.Count} workers.", "a batch size at least the number of workers.");
        }
        else if (!double.IsFinite(value.Value))
        {
            Fail($"The loss is {value.Value} at step {r.Step} (forward pass {round.Evaluation}).",
                "lower the learning rate or epsilon; with fp16/bf16 models check for overflow. Workers keep their last snapshot.");
        }
    }

    /// <summary>Drops a member for good (it must rejoin) and lets the run go on without it.</summary>
    private void Lose(Member m, string reason, TimeSpan now)
    {
        Forget(m, now);
        m.State = MemberState.Gone;
        Emit(ClusterEventKind.WorkerLost, _running?.Step ?? _barrier?.Step ?? _records.Count, m.Name, reason);
    }

    /// <summary>Removes a member from the step in progress and from the boundary it waits at.</summary>
    private void Forget(Member m, TimeSpan now)
    {
        bool wasActive = m.State == MemberState.Active;
        m.State = MemberState.Gone;
        if (_running is { } r && r.Alive.Remove(m.Name))
        {
            if (r.Alive.Count == 0)
            {
                // Nobody holds this step's perturbed weights any more: drop it; rejoiners will run it again.
                r.Abandon();
                _running = null;
            }
            else if (r.Open is { } open)
            {
                Complete(r, open, now);
            }
        }
        if (_barrier is { } b)
        {
            b.Leave(m.Name);
            if (wasActive || b.Arrivals.Count > 0) TryResolveBarrier(now);
        }
    }

    private void Fail(string what, string hint)
    {
        if (State != RunState.Running) return;
        State = RunState.Failed;
        Error = BszoException.Format(what, hint: hint);
        Emit(ClusterEventKind.RunFailed, _records.Count, null, Error);
        _barrier?.Completion.TrySetResult(new BarrierOutcome(_barrier.Step, [], false, Error));
        _barrier = null;
        _running?.Abandon();
        _recordAppended.TrySetResult();
        _finished.TrySetResult();
    }

    // Forward passes may differ across devices (their sums are averaged once, here), but every worker applies
    // the same sweeps to the same weights, so only a different build, model, snapshot or memory fault can split them.
    private const string DivergenceHint =
        "run the same Bszo build and prepared model on every worker; a worker whose snapshot or weight file was altered must be started with an empty --work-dir.";

    private void Emit(ClusterEventKind kind, long step, string? worker, string? detail, double loss = double.NaN) =>
        _events.Add(new ClusterEvent(kind, step, worker, _members.Values.Count(m => m.State == MemberState.Active), loss, detail));

    /// <summary>Delivers queued events outside the lock, in order.</summary>
    private void Publish()
    {
        List<ClusterEvent> events;
        lock (_gate)
        {
            if (_events.Count == 0) return;
            events = [.. _events];
            _events.Clear();
        }
        foreach (var e in events) _options.OnEvent?.Invoke(e);
    }

    private static string Short(string? checksum) => checksum is null ? "unknown" : checksum.Length > 16 ? checksum[..16] + "…" : checksum;

    private static int IndexOf(IReadOnlyList<string> list, string item)
    {
        for (int i = 0; i < list.Count; i++) if (string.Equals(list[i], item, StringComparison.Ordinal)) return i;
        return -1;
    }

    private static async Task<T> Continue<TIn, T>(Task<TIn> task, Func<TIn, T> map) => map(await task.ConfigureAwait(false));

    private static async Task<T> Continue<T>(Task task, Func<T> map)
    {
        await task.ConfigureAwait(false);
        return map();
    }
}
