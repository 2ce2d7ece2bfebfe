using System.Text.Json.Nodes;
using Bszo.Models.Adapters;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>
/// One process's part in training a run: the weights, the graph its forward passes run (the whole
/// training graph, or its trainable tail over cached frozen-prefix rows), the session over them, the
/// sweep, the optimizer and the batch order, all built from the run's <see cref="TrainingSetup"/> the
/// same way in every process, a single-process <see cref="Trainer"/> and every cluster worker alike.
/// </summary>
/// <remarks>
/// <para>Processes differ only in where a step's losses come from and which rows of the step's batch
/// they hold (<see cref="Batch"/>: shard i of n is a contiguous slice, so shard sums add up in the
/// order one process would sum them).</para>
/// <para><b>Ownership.</b> Owns the weights, the session and the optimizer; <see cref="Dispose"/> frees the
/// optimizer and the session before the weights whose buffers they use.</para>
/// </remarks>
public sealed class TrainingCore : IDisposable
{
    private TrainingCore(TrainingSetup setup, TrainingWeights weights, TrainingGraph graph, TrainingGraphSession session, ZerothOrderOptimizer optimizer)
    {
        Setup = setup;
        Weights = weights;
        Graph = graph;
        Session = session;
        Optimizer = optimizer;
        Batches = setup.Spec.Batches(setup.Data.Train.Count);
    }

    /// <summary>What the run trains.</summary>
    public TrainingSetup Setup { get; }

    /// <summary>The trainable weights (owned): where they live and what sweeps them.</summary>
    public TrainingWeights Weights { get; }

    /// <summary>The host store of the weights: the training store itself, or the mirror of a device's (see <see cref="TrainingWeights"/>).</summary>
    public WeightStore Store => Weights.Host;

    /// <summary>The adapter that collates batches and the graph forward passes run.</summary>
    internal TrainingGraph Graph { get; }

    /// <summary>Whether forward passes run over cached frozen-prefix rows.</summary>
    public bool CachedPrefix => Graph.Cached;

    /// <summary>The adapter batches are collated with (a cached-prefix adapter when <see cref="CachedPrefix"/>).</summary>
    public ModelAdapter Adapter => Graph.Adapter;

    /// <summary>The session over <see cref="Store"/>'s weights (owned).</summary>
    public TrainingGraphSession Session { get; }

    /// <summary>The sweep that mutates the weights.</summary>
    public IWeightMutator Sweep => Weights.Mutator;

    /// <summary>The run's optimizer (owned; replaced by <see cref="Restart"/>).</summary>
    public ZerothOrderOptimizer Optimizer { get; private set; }

    /// <summary>The run's batch order.</summary>
    public BatchSchedule Batches { get; }

    /// <summary>
    /// Opens the core at the base weights. The frozen prefix, when used, is run once for the examples of
    /// <paramref name="cachedSplits"/>: every split this process will run forward passes over.
    /// </summary>
    public static TrainingCore Open(TrainingSetup setup, IReadOnlyList<IReadOnlyList<PromptedExample>> cachedSplits, Action<string> message)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(cachedSplits);
        ArgumentNullException.ThrowIfNull(message);
        var weights = TrainingWeights.Open(setup.Model, setup.Session, setup.Sweep, setup.Spec.Noise);
        TrainingGraphSession? session = null;
        ZerothOrderOptimizer? optimizer = null;
        try
        {
            optimizer = setup.Spec.CreateOptimizer(weights.Mutator);
            var graph = PrefixCaching.Choose(setup, cachedSplits, message);
            session = weights.OpenSession(graph.GraphPath, setup.Session, setup.Model);
            return new TrainingCore(setup, weights, graph, session, optimizer);
        }
        catch
        {
            optimizer?.Dispose();
            session?.Dispose();
            weights.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Shard <paramref name="shard"/> of <paramref name="shards"/> of step <paramref name="step"/>'s batch,
    /// collated (the caller disposes it), or null when that shard is empty (more shards than examples).
    /// </summary>
    public TensorBatch? Batch(long step, int shard = 0, int shards = 1)
    {
        var examples = Examples(step, shard, shards);
        return examples.Length == 0 ? null : Graph.Adapter.Collate(examples);
    }

    /// <summary>The examples of shard <paramref name="shard"/> of <paramref name="shards"/> of step <paramref name="step"/>'s batch (none when the shard is empty).</summary>
    public PromptedExample[] Examples(long step, int shard = 0, int shards = 1)
    {
        var indices = Batches.IndicesFor(step);
        var (start, count) = BatchSchedule.ShardRange(indices.Length, shard, shards);
        var train = Setup.Data.Train;
        var examples = new PromptedExample[count];
        for (int i = 0; i < count; i++) examples[i] = train[indices[start + i]];
        return examples;
    }

    /// <summary>Puts the base model's weights back and starts a fresh optimizer at step 0 (a cluster worker that rejoins starts over from here).</summary>
    public void Restart()
    {
        Store.LoadFrom(Setup.Model.Manifest, Setup.Model.DataPath);
        Weights.CopyFromHost();
        var fresh = Setup.Spec.CreateOptimizer(Sweep);
        Optimizer.Dispose();
        Optimizer = fresh;
    }

    /// <summary>
    /// Loads saved weights (<paramref name="manifest"/>, <paramref name="weightsPath"/>) and the optimizer's
    /// state saved with them (scalars, and per-element buffers in <paramref name="optimizerTensors"/>):
    /// a checkpoint, or a cluster worker's snapshot.
    /// </summary>
    public void Load(WeightManifest manifest, string weightsPath, JsonObject optimizerState, string optimizerTensors)
    {
        Store.LoadFrom(manifest, weightsPath);
        Weights.CopyFromHost();
        Optimizer.LoadState(optimizerState);
        Optimizer.LoadTensors(optimizerTensors);
    }

    /// <summary>The host store holding the current weights (copied back from the device first when they live there): for checksums and saves.</summary>
    public WeightStore HostWeights()
    {
        Weights.CopyToHost();
        return Store;
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        Session.Dispose();
        Weights.Dispose(); // last: the session and the sweeps read its buffers
    }
}
