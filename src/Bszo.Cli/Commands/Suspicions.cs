using Bszo.Cli.Display;
using Bszo.Models.Data;
using Bszo.Models.Tasks;
using Bszo.Ort;

namespace Bszo.Cli.Commands;

/// <summary>
/// The one place where settings that are legal but almost surely a mistake are refused, or, with
/// <c>--allow-suspicious</c>, let through with a warning (see <see cref="InputConcerns"/>).
/// </summary>
internal static class Suspicions
{
    /// <summary>The option that lets suspicious settings through.</summary>
    public const string OptionName = "--allow-suspicious";

    /// <summary>A new <c>--allow-suspicious</c> option, for each command that reviews suspicions.</summary>
    public static System.CommandLine.Option<bool> CreateOption() => new(OptionName)
    {
        Description = "Go ahead with settings that are legal but almost surely a mistake (refused otherwise): a template without a {field}, "
                      + "a verbalizer that gives two labels one answer, training data of one class, empty text fields, an empty --trainable pattern.",
    };

    /// <summary>The concerns about a task, its data and the trainable-tensor patterns.</summary>
    public static IReadOnlyList<string> Of(PromptTask task, DataSplits data, IReadOnlyList<string> trainable) =>
        [.. InputConcerns.Of(task, data), .. OfTrainable(trainable)];

    /// <summary>The concerns about trainable-tensor patterns alone.</summary>
    public static IEnumerable<string> OfTrainable(IReadOnlyList<string> trainable)
    {
        ArgumentNullException.ThrowIfNull(trainable);
        if (trainable.Any(string.IsNullOrWhiteSpace))
        {
            yield return "--trainable was given an empty pattern, which selects nothing by name and so trains the default tensors (the card's list, else every float tensor)";
        }
    }

    /// <summary>Refuses <paramref name="concerns"/> unless <paramref name="allowed"/>; then prints each as a warning (even with --quiet: they say the result may mean nothing).</summary>
    public static void Review(IReadOnlyList<string> concerns, bool allowed, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(concerns);
        ArgumentNullException.ThrowIfNull(console);
        if (concerns.Count == 0) return;
        if (!allowed)
        {
            throw new BszoException(BszoException.Format(
                concerns.Count == 1 ? "This looks like a mistake, so nothing was done:" : $"These {concerns.Count} things look like mistakes, so nothing was done:",
                found: string.Join(Environment.NewLine + "            ", concerns),
                hint: $"fix the input; or, if this is what you mean, pass {OptionName} to go ahead."));
        }
        foreach (var concern in concerns) console.Error.WriteLine($"bszo: warning: {concern} (going ahead: {OptionName})");
    }
}
