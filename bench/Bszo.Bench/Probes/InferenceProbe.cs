using System.Diagnostics;
using Bszo.Bench.Measure;
using Bszo.Bench.Setup;
using Bszo.Models.Adapters;
using Bszo.Ort.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Bszo.Bench.Probes;

/// <summary>
/// Plain ONNX Runtime inference of the original model, the baseline every memory ratio is taken
/// against: weights are ordinary initializers that ONNX Runtime loads and owns (and may prepack),
/// the session keeps ONNX Runtime's defaults except an explicit intra-op thread count, and each
/// forward pass returns the model's logits, as an inference server would (on a CUDA device, the nodes
/// its provider leaves to the CPU run there, as a server would run them).
/// </summary>
public static class InferenceProbe
{
    public const string Configuration = "ort-inference";

    public static ProbeResult Run(ProbeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var sampler = request.SampleMilliseconds > 0 ? new RssSampler(request.SampleMilliseconds) : null;
        var start = MemoryState.Now();
        var card = ModelCard.Load(request.ModelDirectory);
        var files = BatchFiles.Read(request.BatchDirectory);
        var clock = Stopwatch.StartNew();
        using var options = new SessionOptions { IntraOpNumThreads = request.Threads };
        ExecutionDevice.Configure(options, request.Device, allowCpuFallback: true);
        using var session = new InferenceSession(card.Resolve(card.Model), options);
        double loadSeconds = clock.Elapsed.TotalSeconds;
        using var batch = files.ModelInputs();
        var names = batch.Values.Select(v => v.Name).ToArray();
        var values = batch.Values.Select(v => v.Value).ToArray();
        string[] outputs = [card.Outputs.GetValueOrDefault("logits", "logits")];
        using var runOptions = new RunOptions();
        var loaded = MemoryState.Now();

        var seconds = new List<double>();
        var beforeReset = loaded;
        for (int i = 0; i < request.Warmup + request.Steps; i++)
        {
            if (i == request.Warmup)
            {
                beforeReset = MemoryState.Now();
                MemoryProbe.ResetPeak();
            }
            if (sampler is not null) sampler.Phase = "forward";
            long t0 = Stopwatch.GetTimestamp();
            using (var result = session.Run(runOptions, names, values, outputs))
            {
                if (i >= request.Warmup) seconds.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
            if (sampler is not null) sampler.Phase = "idle";
        }
        return ProbeResult.Measured(Configuration, request, loadSeconds, start, loaded, beforeReset, MemoryState.Now()) with
        {
            Parameters = ParameterCount.Of(card.Resolve(card.Model)),
            StepSeconds = seconds,
            ForwardSeconds = seconds,
            ForwardsPerStep = 1,
            Samples = sampler?.Finish(),
        };
    }
}
