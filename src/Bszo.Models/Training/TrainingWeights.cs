using Bszo.Ort;
using Bszo.Ort.Device;
using Bszo.Ort.Graph;
using Bszo.Ort.Perturbation;
using Bszo.Ort.Runtime;

namespace Bszo.Models.Training;

/// <summary>Where a run's sweeps work on the trainable weights (<c>--sweep</c>).</summary>
public enum WeightSweep
{
    /// <summary>The weights stay in host memory and Bszo's SIMD kernels sweep them (<see cref="PerturbationSweep"/>).</summary>
    Host,

    /// <summary>
    /// The weights live in memory of the session's execution device and ONNX Runtime sweeps them by running the
    /// updater graph there (<see cref="DeviceSweep"/>): the only way with <c>--device cuda</c>; on the CPU
    /// provider the same path runs end to end on any machine.
    /// </summary>
    Graph,
}

/// <summary>
/// The trainable weights of a run while it trains: where they live, the sweep that mutates them, and the
/// sessions that read them. The host <see cref="WeightStore"/> always exists and is the place of record for
/// checkpoints, best weights, checksums and results; with weights on a device it is a mirror refreshed by
/// <see cref="CopyToHost"/> and pushed back by <see cref="CopyFromHost"/>.
/// </summary>
/// <remarks>
/// Created with <see cref="Open"/>: <see cref="HostWeights"/> for <see cref="WeightSweep.Host"/>,
/// <see cref="DeviceWeights"/> for <see cref="WeightSweep.Graph"/>. <b>Ownership.</b> Owns the host store
/// and, on a device, the device store and its sweep; dispose it after every session it opened.
/// </remarks>
public abstract class TrainingWeights : IDisposable
{
    private protected TrainingWeights(WeightStore host) => Host = host;

    /// <summary>The host store (owned): checkpoints, best weights and results are written from it.</summary>
    public WeightStore Host { get; }

    /// <summary>What every perturbation and update goes through.</summary>
    public abstract IWeightMutator Mutator { get; }

    /// <summary>How the run's trajectory header records where the weights were swept (null: on the host, the default).</summary>
    public abstract string? Describe();

    /// <summary>Opens a session of <paramref name="graphPath"/> over these weights; the caller disposes it before this object.</summary>
    public abstract TrainingGraphSession OpenSession(string graphPath, SessionSettings settings, PreparedModel model);

    /// <summary>Makes the host store hold the current weights (before a checkpoint, a best-weights save or a checksum).</summary>
    public abstract void CopyToHost();

    /// <summary>Makes the training weights what the host store holds (after loading a checkpoint or the best weights into it).</summary>
    public abstract void CopyFromHost();

    /// <summary>
    /// The sweep a run uses: <paramref name="requested"/> ("host" or "graph", case-insensitive), or when it is
    /// null the one <paramref name="device"/> calls for (graph on CUDA, host on the CPU). Checks that
    /// <paramref name="optimizer"/> can work there, so a bad combination fails before anything is loaded.
    /// </summary>
    public static WeightSweep ResolveSweep(string? requested, string device, string optimizer)
    {
        bool cuda = ExecutionDevice.Parse(device).Kind == "cuda";
        var sweep = requested?.Trim().ToLowerInvariant() switch
        {
            null or "" => cuda ? WeightSweep.Graph : WeightSweep.Host,
            "host" => WeightSweep.Host,
            "graph" => WeightSweep.Graph,
            _ => Throw.Bszo<WeightSweep>($"Unknown --sweep '{requested}'.", "host or graph", requested ?? ""),
        };
        if (cuda && sweep == WeightSweep.Host)
        {
            Throw.Bszo($"Device '{device}' with --sweep host.", "--sweep graph (the weights live on the GPU and are swept there)", "--sweep host",
                "leave --sweep out (it follows --device), or train with --device cpu.");
        }
        var descriptor = Bszo.Ort.Optimizers.OptimizerCatalog.Get(optimizer);
        if (sweep == WeightSweep.Graph && !descriptor.RunsOnDevice)
        {
            Throw.Bszo($"The '{descriptor.Name}' optimizer cannot train weights held by the execution device (--sweep graph{(cuda ? $", --device {device}" : "")}).",
                $"one of {string.Join(", ", Bszo.Ort.Optimizers.OptimizerCatalog.All.Where(d => d.RunsOnDevice).Select(d => d.Name))}",
                descriptor.Name, "its per-element state or low-rank bases live in host memory: train it with --device cpu --sweep host.");
        }
        return sweep;
    }

    /// <summary>
    /// Loads <paramref name="model"/>'s base weights and places them as <paramref name="sweep"/> asks: on the
    /// host, or on <paramref name="settings"/>' device (a CUDA device needs <see cref="WeightSweep.Graph"/>);
    /// every sweep draws directions of <paramref name="noise"/>.
    /// </summary>
    public static TrainingWeights Open(PreparedModel model, SessionSettings settings, WeightSweep sweep, NoiseKind noise)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        if (ExecutionDevice.Parse(settings.Device).Kind == "cuda" && sweep == WeightSweep.Host)
        {
            Throw.Bszo($"Device '{settings.Device}' with --sweep host.", "--sweep graph", "--sweep host", "leave --sweep out: it follows --device.");
        }
        var host = WeightStore.Load(model);
        try
        {
            return sweep == WeightSweep.Host
                ? new HostWeights(host, settings, noise)
                : new DeviceWeights(host, settings, noise);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Disposes what this object owns: the device side first, the host store last.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing) Host.Dispose();
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>Weights in host memory, swept by Bszo's kernels: the host store is the training store, nothing is copied.</summary>
public sealed class HostWeights : TrainingWeights
{
    private readonly PerturbationSweep _sweep;

    internal HostWeights(WeightStore host, SessionSettings settings, NoiseKind noise)
        : base(host) => _sweep = new PerturbationSweep(host, new SweepOptions { Threads = Math.Max(1, settings.IntraOpThreads), Noise = noise });

    public override IWeightMutator Mutator => _sweep;

    public override string? Describe() => null;

    public override TrainingGraphSession OpenSession(string graphPath, SessionSettings settings, PreparedModel model) =>
        TrainingGraphSession.Create(graphPath, Host, settings, model);

    public override void CopyToHost()
    {
    }

    public override void CopyFromHost()
    {
    }
}

/// <summary>
/// Weights held by the execution device (<see cref="DeviceWeightStore"/>), swept there by the updater graph
/// (<see cref="DeviceSweep"/>): uploaded once, only losses come back per step, weights only when the host
/// mirror is asked for them.
/// </summary>
public sealed class DeviceWeights : TrainingWeights
{
    private readonly DeviceWeightStore _device;
    private readonly DeviceSweep _sweep;

    internal DeviceWeights(WeightStore host, SessionSettings settings, NoiseKind noise)
        : base(host)
    {
        _device = DeviceWeightStore.Create(host, new DeviceWeightStoreOptions { Device = settings.Device, IntraOpThreads = Math.Max(1, settings.IntraOpThreads) });
        try
        {
            _sweep = DeviceSweep.Create(_device, new DeviceSweepOptions { Noise = noise });
        }
        catch
        {
            _device.Dispose();
            throw;
        }
    }

    /// <summary>The device store.</summary>
    public DeviceWeightStore Device => _device;

    public override IWeightMutator Mutator => _sweep;

    public override string? Describe() => $"updater graph on {_device.Device}";

    public override TrainingGraphSession OpenSession(string graphPath, SessionSettings settings, PreparedModel model) =>
        TrainingGraphSession.Create(graphPath, _device, settings, model);

    public override void CopyToHost() => _device.Download();

    public override void CopyFromHost() => _device.Upload();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sweep.Dispose();
            _device.Dispose(); // before the host store it mirrors
        }
        base.Dispose(disposing);
    }
}
