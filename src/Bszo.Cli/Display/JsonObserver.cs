using System.Text.Json;
using System.Text.Json.Nodes;
using Bszo.Models.Training;

namespace Bszo.Cli.Display;

/// <summary>Progress as JSON lines on standard output (<c>--json</c>): one object per event, with an "event" key.</summary>
internal sealed class JsonObserver(TextWriter output) : ITrainingObserver
{
    public void Started(RunStart start) => Write("start", start);

    public void Stepped(StepReport report) => Write("step", report);

    public void Evaluated(EvalReport report) => Write("eval", report);

    public void Checkpointed(long completedSteps, string directory) => Write("checkpoint", new { step = completedSteps, directory });

    public void Message(string text) => Write("message", new { text });

    /// <summary>Writes one event.</summary>
    public void Write(string kind, object payload)
    {
        var node = JsonSerializer.SerializeToNode(payload, RunResults.Json) as JsonObject ?? [];
        var line = new JsonObject { ["event"] = kind };
        foreach (var (key, value) in node) line[key] = value?.DeepClone();
        output.WriteLine(line.ToJsonString());
        output.Flush();
    }
}
