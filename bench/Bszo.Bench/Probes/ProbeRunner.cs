using Bszo.Bench.Measure;
using Bszo.Bench.Setup;

namespace Bszo.Bench.Probes;

/// <summary>Runs one probe request in a child process and reads back what it measured.</summary>
public static class ProbeRunner
{
    /// <summary>Runs a memory probe (inference or train); a failed child becomes a failed result carrying its error.</summary>
    public static ProbeResult Measure(PreparedWorkload workload, ProbeRequest request, string configuration)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(request);
        var (requestPath, resultPath) = Paths(workload, configuration);
        request.Save(requestPath);
        var (kind, index) = Bszo.Ort.Runtime.ExecutionDevice.Parse(request.Device);
        using var device = kind == "cuda" ? DeviceMemorySampler.TryStart(index) : null;
        var (exit, error) = ChildProcesses.RunProbe(requestPath, resultPath);
        if (exit != 0 || !File.Exists(resultPath)) return ProbeResult.Failed(configuration, $"failed (exit {exit}): {error}");
        var result = ProbeResult.Load(resultPath);
        return device is null ? result : result with { DevicePeakBytes = device.PeakAboveBaselineBytes };
    }

    /// <summary>Runs the speed probe; a failure is an error (there is nothing to report without it).</summary>
    public static SpeedResult MeasureSpeed(PreparedWorkload workload, ProbeRequest request)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(request);
        var (requestPath, resultPath) = Paths(workload, "speed");
        request.Save(requestPath);
        var (exit, error) = ChildProcesses.RunProbe(requestPath, resultPath);
        if (exit != 0 || !File.Exists(resultPath))
        {
            Throw.Bszo($"The speed probe of {workload.Workload.Id} failed (exit {exit}).", found: error);
        }
        return SpeedResult.Load(resultPath);
    }

    /// <summary>
    /// The request of a probe of <paramref name="kind"/> on <paramref name="workload"/>; with
    /// <paramref name="fullHead"/> ("train" on a prompt workload), of the model prepared with the LM head over every position.
    /// </summary>
    public static ProbeRequest Request(PreparedWorkload workload, string kind, BenchSettings settings, IReadOnlyList<string> optimizers, int steps, bool fullHead = false) => new()
    {
        Kind = kind,
        Model = workload.Workload.Model.Name,
        ModelDirectory = workload.Workload.Model.Card.Directory,
        BatchDirectory = workload.Batch.Directory,
        PreparedDirectory = fullHead ? workload.FullHead?.Directory : workload.Prepared.Directory,
        FullHeadPreparedDirectory = kind == "speed" ? workload.FullHead?.Directory : null,
        Label = fullHead ? $"bszo-{string.Join(",", optimizers)} {FullHeadSuffix}" : null,
        Decoder = workload.Workload.Model.IsDecoder,
        Optimizers = optimizers,
        Steps = steps,
        Warmup = settings.Warmup,
        Threads = settings.Threads,
        Device = settings.Device,
        SampleMilliseconds = kind == "speed" ? 0 : settings.SampleMilliseconds,
        CopyBytes = settings.CopyBytes,
    };

    /// <summary>Appended to the names of configurations that run the LM head over every position.</summary>
    public const string FullHeadSuffix = "(full LM head)";

    private static (string Request, string Result) Paths(PreparedWorkload workload, string name) =>
        (Path.Combine(workload.Directory, $"{name}.request.json"), Path.Combine(workload.Directory, $"{name}.result.json"));
}
