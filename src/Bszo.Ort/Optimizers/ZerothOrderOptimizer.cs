using System.Text.Json.Nodes;
using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// Base class of the zeroth-order optimizers: each step perturbs the weights along seeded random
/// directions, measures losses with forward passes, and updates the weights, all through fused
/// sweeps of an <see cref="IWeightMutator"/>: a <see cref="PerturbationSweep"/> for weights in host
/// memory, or a <see cref="Device.DeviceSweep"/> for weights on an execution device.
/// </summary>
/// <remarks>
/// <para>A step is written once, in <see cref="StepCore"/>, against a <see cref="StepContext"/>.
/// During training the context's losses come from forward passes; during <see cref="Replay"/> they
/// come from a <see cref="StepRecord"/>. Seeds are a pure function of the run seed and the step
/// index. So replaying a trajectory log repeats exactly the same sweeps with exactly the same fp32
/// coefficients, and reproduces the trained weights bit for bit, with no forward passes.</para>
/// <para>Implementations keep scalar state that must survive a resume in <see cref="SaveState"/>,
/// and per-element state in buffers made with <see cref="CreateStateBuffer"/>, which the base class
/// saves, loads and frees.</para>
/// <para><b>Ownership.</b> The optimizer owns its state buffers (native memory): dispose it before
/// the weight store its sweep works on.</para>
/// </remarks>
public abstract class ZerothOrderOptimizer : IDisposable
{
    private readonly StepContext _context;
    private readonly PerturbationSweep? _sweep;
    private readonly List<ElementStateBuffer> _stateBuffers = [];

    /// <summary>Creates the optimizer over weights that <paramref name="mutator"/> sweeps (host or device).</summary>
    protected ZerothOrderOptimizer(IWeightMutator mutator, OptimizerOptions options)
    {
        Mutator = mutator ?? throw new ArgumentNullException(nameof(mutator));
        _sweep = mutator as PerturbationSweep;
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CommonOptions = options;
        _context = new StepContext(this);
    }

    /// <summary>The method's name as used on the command line (e.g. "mezo", "bszo").</summary>
    public abstract string Name { get; }

    /// <summary>Forward passes each step runs.</summary>
    public abstract int ForwardPassesPerStep { get; }

    /// <summary>Bytes of optimizer state beyond the weights (the memory cost over inference): by default its state buffers.</summary>
    public virtual long StateBytes => _stateBuffers.Sum(b => b.Bytes);

    /// <summary>What mutates the weights: every step's perturbations and updates go through it.</summary>
    public IWeightMutator Mutator { get; }

    /// <summary>
    /// The host sweep that mutates the weights. Methods that need host access to the weights beyond
    /// sweeps use it; it is unavailable when the weights live on a device (use <see cref="Mutator"/>).
    /// </summary>
    public PerturbationSweep Sweep => _sweep ?? Throw.Bszo<PerturbationSweep>($"The {Name} optimizer's weights are on an execution device.",
        "weights in host memory (a PerturbationSweep)", Mutator.GetType().Name,
        "this method needs host access to the weights; train it with --device cpu.");

    /// <summary>The options shared by all methods.</summary>
    public OptimizerOptions CommonOptions { get; }

    /// <summary>Steps completed (the index of the next step).</summary>
    public long StepsTaken { get; private set; }

    /// <summary>Runs one step with losses from <paramref name="loss"/>; returns its record.</summary>
    public StepRecord Step(ILossEvaluator loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        var record = new StepRecord { Step = StepsTaken };
        _context.Begin(record, loss, replaying: false);
        StepCore(_context);
        StepsTaken++;
        return record;
    }

    /// <summary>
    /// Repeats a recorded step without forward passes. Records must be replayed in order, starting
    /// at <see cref="StepsTaken"/>.
    /// </summary>
    public void Replay(StepRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Step != StepsTaken)
        {
            Throw.Bszo($"Trajectory record for step {record.Step} cannot be replayed now.", $"step {StepsTaken}", $"step {record.Step}",
                "records must be replayed in order from the checkpoint they follow.");
        }
        var replica = new StepRecord { Step = record.Step };
        _context.Begin(replica, new RecordedLosses(record), replaying: true, expectedSeeds: record.Seeds);
        StepCore(_context);
        if (replica.Losses.Count != record.Losses.Count)
        {
            Throw.Bszo($"Trajectory record for step {record.Step} does not fit the {Name} optimizer.",
                $"{replica.Losses.Count} losses", $"{record.Losses.Count}", "the log was written by another optimizer or options.");
        }
        StepsTaken++;
    }

    /// <summary>State to checkpoint (scalars; large per-element state is saved by <see cref="SaveTensors"/>).</summary>
    public virtual JsonObject SaveState() => new() { ["steps"] = StepsTaken };

    /// <summary>Restores state saved by <see cref="SaveState"/>.</summary>
    public virtual void LoadState(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        StepsTaken = (long?)state["steps"] ?? 0;
    }

    /// <summary>Saves the per-element state buffers (a momentum, a Hessian estimate) into <paramref name="directory"/>, one file each.</summary>
    public void SaveTensors(string directory)
    {
        foreach (var buffer in _stateBuffers) buffer.Save(StatePath(directory, buffer));
    }

    /// <summary>Loads per-element state saved by <see cref="SaveTensors"/>.</summary>
    public void LoadTensors(string directory)
    {
        foreach (var buffer in _stateBuffers) buffer.Load(StatePath(directory, buffer));
    }

    /// <summary>Frees the per-element state buffers.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the state buffers when <paramref name="disposing"/>; subclasses that own more release it here too.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        foreach (var buffer in _stateBuffers) buffer.Dispose();
        _stateBuffers.Clear();
    }

    /// <summary>One step of the method. Must mutate weights only through <see cref="Mutator"/> (or deterministic kernels).</summary>
    protected abstract void StepCore(StepContext context);

    /// <summary>
    /// Allocates a per-element state buffer shaped like the weights, every value <paramref name="initialValue"/>.
    /// The optimizer owns it: checkpoints save and load it, and <see cref="Dispose()"/> frees it.
    /// </summary>
    protected ElementStateBuffer CreateStateBuffer(string name, float initialValue = 0f)
    {
        var buffer = ElementStateBuffer.Create(Sweep.Store, name, initialValue);
        _stateBuffers.Add(buffer);
        return buffer;
    }

    /// <summary>
    /// Moves the weights by <c>Σ cⱼ·dⱼ</c> along the method's directions for <paramref name="terms"/>'
    /// seeds: Gaussian z by default; methods that perturb along other directions (low-rank, or scaled
    /// by a preconditioner) override it, and <see cref="ProbeTwoSided"/> then probes along theirs.
    /// </summary>
    protected virtual void Perturb(ReadOnlySpan<SweepTerm> terms) => Mutator.Apply(terms);

    /// <summary>
    /// The two-sided SPSA probe along the direction of <paramref name="seed"/>: moves to θ+εd (fusing
    /// <paramref name="restoreFirst"/>, the undoing of an earlier perturbation, into that move when
    /// given), measures L₊, moves to θ−εd, measures L₋, and returns both with the clipped projected
    /// gradient (L₊ − L₋)/2ε. The weights are left at θ−εd: the caller's update restores them.
    /// </summary>
    protected TwoSidedProbe ProbeTwoSided(StepContext context, ulong seed, SweepTerm? restoreFirst = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        double eps = CommonOptions.Epsilon;
        if (restoreFirst is { } restore) Perturb([restore, new SweepTerm(seed, eps)]);
        else Perturb([new SweepTerm(seed, eps)]);
        double plus = context.Loss();
        Perturb([new SweepTerm(seed, -2 * eps)]);
        double minus = context.Loss();
        return new TwoSidedProbe(plus, minus, Clip((plus - minus) / (2 * eps)));
    }

    /// <summary>L(θ) at the current, unperturbed weights, recorded as the step's loss.</summary>
    protected static double CleanLoss(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        double loss = context.Loss();
        context.Set("loss", loss);
        return loss;
    }

    /// <summary>
    /// <see cref="ProbeTwoSided"/> along a new direction of this step: draws its seed, probes, and
    /// records the projected gradient as the step's "g".
    /// </summary>
    protected (ulong Seed, TwoSidedProbe Probe) ProbeNewDirection(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        ulong seed = context.NextSeed();
        var probe = ProbeTwoSided(context, seed);
        context.Set("g", probe.Gradient);
        return (seed, probe);
    }

    /// <summary>Clips a projected gradient if the options ask for it.</summary>
    protected double Clip(double g) =>
        CommonOptions.ClipProjectedGradient is double c ? Math.Clamp(g, -c, c) : g;

    private string StatePath(string directory, ElementStateBuffer buffer) => Path.Combine(directory, $"{Name}.{buffer.Name}.bin");

    /// <summary>The losses of a two-sided probe and its clipped projected gradient.</summary>
    /// <param name="Plus">L(θ+εd).</param>
    /// <param name="Minus">L(θ−εd).</param>
    /// <param name="Gradient">(L₊ − L₋)/2ε, clipped as the options ask.</param>
    protected readonly record struct TwoSidedProbe(double Plus, double Minus, double Gradient)
    {
        /// <summary>The mean of the two losses: the step's progress signal.</summary>
        public double MeanLoss => 0.5 * (Plus + Minus);
    }

    /// <summary>What a step sees: its index, its seeds, its learning rate, and its losses.</summary>
    protected sealed class StepContext
    {
        private readonly ZerothOrderOptimizer _owner;
        private StepRecord _record = new();
        private ILossEvaluator _loss = new RecordedLosses(new StepRecord());
        private IReadOnlyList<ulong>? _expectedSeeds;

        internal StepContext(ZerothOrderOptimizer owner) => _owner = owner;

        /// <summary>Zero-based index of this step.</summary>
        public long Step => _record.Step;

        /// <summary>True when losses come from a record rather than forward passes.</summary>
        public bool Replaying { get; private set; }

        /// <summary>The record being filled.</summary>
        public StepRecord Record => _record;

        /// <summary>The scheduled learning rate for this step (also stored in the record).</summary>
        public double LearningRate { get; private set; }

        internal void Begin(StepRecord record, ILossEvaluator loss, bool replaying, IReadOnlyList<ulong>? expectedSeeds = null)
        {
            _record = record;
            _loss = loss;
            Replaying = replaying;
            _expectedSeeds = expectedSeeds;
            var o = _owner.CommonOptions;
            LearningRate = o.LearningRateAt(record.Step);
            record.LearningRate = LearningRate;
        }

        /// <summary>The next seed of this step (derived from the run seed, the step and the seed's position).</summary>
        public ulong NextSeed()
        {
            int index = _record.Seeds.Count;
            ulong seed = SquaresRng.DeriveSeed(_owner.CommonOptions.Seed, _record.Step, index);
            if (_expectedSeeds is not null && (index >= _expectedSeeds.Count || _expectedSeeds[index] != seed))
            {
                Throw.Bszo($"Trajectory record for step {_record.Step} was written with another run seed.",
                    $"seed {seed}", index < _expectedSeeds.Count ? $"seed {_expectedSeeds[index]}" : "no seed",
                    "replay needs the same --seed and optimizer options as the original run.");
            }
            _record.Seeds.Add(seed);
            return seed;
        }

        /// <summary>One loss measurement: a forward pass, or the recorded value when replaying.</summary>
        public double Loss()
        {
            double value = _loss.Evaluate();
            _record.Losses.Add(value);
            return value;
        }

        /// <summary>Stores a derived scalar in the record.</summary>
        public void Set(string name, double value) => _record.Scalars[name] = value;
    }

    private sealed class RecordedLosses(StepRecord record) : ILossEvaluator
    {
        private int _next;

        public double Evaluate() =>
            _next < record.Losses.Count
                ? record.Losses[_next++]
                : Throw.Bszo<double>($"Trajectory record for step {record.Step} has too few losses.", $"more than {record.Losses.Count}", $"{record.Losses.Count}");
    }
}
