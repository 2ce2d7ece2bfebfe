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
        var optimizer = options["optimizer-settings"]!;
        var training = options["training"]!;
        var versions = config["versions"]!;
        var table = new Table().Title("Configuration").HideHeaders().AddColumns("", "");
        void Add(string key, JsonNode? value) => table.AddRow(key, Markup.Escape(value is JsonValue v && v.TryGetValue(out string? s) ? s : value?.ToJsonString(RunConfig.Readable) ?? "-"));
        Add("model", resolved["model"]);
        Add("prepared", resolved["prepared"]);
        Add("trainable weights", resolved["trainable_elements"]);
        Add("task", resolved["task"]);
        Add("data", resolved["data"]);
        Add("optimizer", options["optimizer"]);
        Add("learning rate / epsilon", JsonValue.Create($"{optimizer["learning-rate"]} / {optimizer["epsilon"]}"));
        Add("weight decay / seed", JsonValue.Create($"{optimizer["weight-decay"]} / {optimizer["seed"]}"));
        Add("steps / batch size", JsonValue.Create($"{training["steps"]} / {training["batch-size"]}"));
        Add("eval / checkpoint every", JsonValue.Create($"{training["eval-interval"]} / {training["checkpoint-interval"]} steps"));
        Add("run directory", resolved["run"]);
        Add("versions", JsonValue.Create($"bszo {versions["bszo"]}, onnxruntime {versions["onnxruntime"]}, {versions["dotnet"]}"));
        console.Ansi.Write(table);
    }
}
