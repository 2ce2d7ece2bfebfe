namespace Bszo.Ort;

/// <summary>
/// The one exception type Bszo raises for problems a user can fix: a malformed model, missing
/// weight data, a tensor that cannot be trained, a diverged run. Messages name the file or tensor,
/// what was expected, what was found, and end with a hint.
/// </summary>
public class BszoException : Exception
{
    public BszoException(string message) : base(message) { }

    public BszoException(string message, Exception innerException) : base(message, innerException) { }

    public BszoException() { }

    /// <summary>Composes the standard message shape: what is wrong, expected vs found, and a hint.</summary>
    public static string Format(string what, string? expected = null, string? found = null, string? hint = null)
    {
        var text = what;
        if (expected is not null) text += $"{Environment.NewLine}  expected: {expected}";
        if (found is not null) text += $"{Environment.NewLine}  found:    {found}";
        if (hint is not null) text += $"{Environment.NewLine}  hint:     {hint}";
        return text;
    }
}

/// <summary>The loss became NaN or infinite; training stops before the weights are damaged further.</summary>
public sealed class TrainingDivergedException : BszoException
{
    public TrainingDivergedException(string message) : base(message) { }

    public TrainingDivergedException(string message, Exception innerException) : base(message, innerException) { }

    public TrainingDivergedException() { }
}
