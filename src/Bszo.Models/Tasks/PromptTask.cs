using Bszo.Models.Adapters;
using Bszo.Models.Data;

namespace Bszo.Models.Tasks;

/// <summary>
/// A fine-tuning task: turns a data row into a <see cref="PromptedExample"/> through its prompt
/// template, and says how predictions are scored.
/// </summary>
/// <remarks>
/// Implementations are sealed and obtained from <see cref="TaskRegistry"/> by name, or built with
/// <see cref="VerbalizedTask.Custom"/> from a template and a verbalizer.
/// </remarks>
public abstract class PromptTask
{
    /// <summary>The registry name ("sst2", "rte", ..., "custom").</summary>
    public abstract string Name { get; }

    /// <summary>How the task is trained and scored.</summary>
    public abstract TaskKind Kind { get; }

    /// <summary>One line for `bszo finetune --help` and run summaries.</summary>
    public abstract string Description { get; }

    /// <summary>The data fields the task reads.</summary>
    public abstract IReadOnlyList<string> Fields { get; }

    /// <summary>MeZO's split sizes for the task.</summary>
    public virtual SplitSizes DefaultSizes => SplitSizes.Mezo;

    /// <summary>The metric reported as eval_{Metric}: "accuracy", or "f1" for generation tasks.</summary>
    public string Metric => Kind == TaskKind.Generation ? "f1" : "accuracy";

    /// <summary>
    /// The prompted example for <paramref name="row"/>, or null for rows the task leaves out by
    /// definition (e.g. SNLI pairs without a gold label, -1). Problems are errors naming the file and line.
    /// </summary>
    public abstract PromptedExample? Apply(DataRow row);

    /// <summary>The task as JSON, for the run configuration.</summary>
    public virtual System.Text.Json.Nodes.JsonObject Describe() => new() { ["name"] = Name, ["kind"] = Kind.ToString().ToLowerInvariant() };
}
