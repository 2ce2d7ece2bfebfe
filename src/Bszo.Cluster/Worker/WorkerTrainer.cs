using Bszo.Cluster.Training;
using Bszo.Ort.Graph;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;

namespace Bszo.Cluster.Worker;

/// <summary>
/// One worker's full training session: the weights, the ONNX Runtime session over them, the sweep and
/// the optimizer, loaded from the base weights or from a snapshot.
/// </summary>
/// <remarks>
/// <b>Ownership.</b> Owns the <see cref="WeightStore"/> (native memory), the
/// <see cref="TrainingGraphSession"/> and the optimizer; <see cref="Dispose"/> releases the optimizer and
/// the session first, then the store.
/// After an eviction the worker disposes the trainer and opens a new one: weights left mid-step are
/// never reused.
/// </remarks>
internal sealed class WorkerTrainer : IDisposable
{
    private WorkerTrainer(PreparedModel model, WeightStore store, TrainingGraphSession session, ZerothOrderOptimizer optimizer, long startedFrom)
    {
        Model = model;
        Store = store;
        Session = session;
        Optimizer = optimizer;
        StartedFrom = startedFrom;
    }

    public PreparedModel Model { get; }

    public WeightStore Store { get; }

    public TrainingGraphSession Session { get; }

    public ZerothOrderOptimizer Optimizer { get; }

    /// <summary>The step the weights were loaded at (0: base weights).</summary>
    public long StartedFrom { get; }

    /// <summary>The record of the last step applied (trained or replayed); null at the start.</summary>
    public StepRecord? LastRecord { get; set; }

    public string BaseWeightsSha256 => Model.Manifest.BaseWeightsSha256;

    /// <summary>Opens a session at the base weights, or at <paramref name="snapshot"/> when given.</summary>
    public static WorkerTrainer Open(PreparedModel model, ClusterTrainingSpec spec, SessionSettings session, SweepOptions sweep, WorkerSnapshot? snapshot = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        var store = snapshot is null ? WeightStore.Load(model) : WeightStore.Load(snapshot.Manifest, snapshot.DataPath);
        TrainingGraphSession? graph = null;
        try
        {
            graph = TrainingGraphSession.Create(model, store, session);
            var optimizer = spec.Run.CreateOptimizer(new PerturbationSweep(store, sweep));
            if (snapshot is not null) optimizer.LoadState(snapshot.State);
            return new WorkerTrainer(model, store, graph, optimizer, snapshot?.Step ?? 0) { LastRecord = snapshot?.LastRecord };
        }
        catch
        {
            graph?.Dispose();
            store.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        Session.Dispose();
        Store.Dispose(); // last: the session borrowed its buffers
    }
}
