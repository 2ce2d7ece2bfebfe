using Bszo.Models.Adapters;
using Bszo.Models.Data;
using Bszo.Models.Tasks;
using Bszo.Ort.Graph;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>
/// What every process that trains a run starts from: the run's spec, the prepared model and its
/// adapter, the task and its examples, and this process's ONNX Runtime settings.
/// </summary>
public sealed record TrainingSetup
{
    /// <summary>What the run trains (optimizer, steps, batches).</summary>
    public required RunSpec Spec { get; init; }

    /// <summary>The model family's adapter.</summary>
    public required ModelAdapter Adapter { get; init; }

    /// <summary>The prepared training model (its loss head must be the adapter's).</summary>
    public required PreparedModel Model { get; init; }

    /// <summary>The task.</summary>
    public required PromptTask Task { get; init; }

    /// <summary>The examples.</summary>
    public required DataSplits Data { get; init; }

    /// <summary>ONNX Runtime settings of this process (threads also size the sweeps).</summary>
    public SessionSettings Session { get; init; } = new();

    /// <summary>Where sweeps work on the weights: on the host (the default on the CPU), or on the session's device (with CUDA, always).</summary>
    public WeightSweep Sweep { get; init; } = WeightSweep.Host;

    /// <summary>SHA-256 over the training examples' prompts, candidates and labels: equal in every process that trains the same examples.</summary>
    public string TrainExamplesSha256() => RunIdentity.Hash(Data.Train);
}
