using System.Text.Json.Nodes;
using Spectre.Console;

namespace Bszo.Cli.Display;

/// <summary>Prints the resolved configuration of a run (the whole of it is saved in config.json).</summary>
internal static class ConfigPrinter
{
    public static void Print(CliConsole console, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var resolved = config["resolved"]!;
        var options = config["options"]!;
        var spec = options["spec"]!;
        var optimizer = spec["options"]!;
        var training = options["training"]!;
        var versions = config["versions"]!;
        var table = new Table().Title("Configuration").HideHeaders().AddColumns("", "");
        void Add(string key, JsonNode? value) => table.AddRow(key, Markup.Escape(value is JsonValue v && v.TryGetValue(out string? s) ? s : value?.ToJsonString(RunConfig.Readable) ?? "-"));
        Add("model", resolved["model"]);
        Add("prepared", resolved["prepared"]);
        Add("trainable weights", resolved["trainable_elements"]);
        Add("task", resolved["task"]);
        Add("data", resolved["data"]);
        Add("optimizer", spec["optimizer"]);
        Add("learning rate / epsilon", JsonValue.Create($"{optimizer["learningRate"]} / {optimizer["epsilon"]}"));
        Add("weight decay / seed", JsonValue.Create($"{optimizer["weightDecay"]} / {optimizer["seed"]}"));
        Add("steps / batch size", JsonValue.Create($"{optimizer["totalSteps"]} / {spec["batchSize"]}"));
        Add("eval / checkpoint every", JsonValue.Create($"{training["eval-every"]?.ToJsonString() ?? "5 times per run"} / {training["checkpoint-every"]?.ToJsonString() ?? "each evaluation"}"));
        Add("run directory", resolved["run"]);
        Add("versions", JsonValue.Create($"bszo {versions["bszo"]}, onnxruntime {versions["onnxruntime"]}, {versions["dotnet"]}"));
        console.Ansi.Write(table);
    }
}
