using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Bszo.Ort;

/// <summary>
/// The one way Bszo raises errors a user can fix: every message has the same shape (what is wrong,
/// expected, found, a hint; see <see cref="BszoException.Format"/>), and the helpers stay out of line
/// so that hot paths stay small.
/// </summary>
[StackTraceHidden]
[SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Call sites read as a sentence (Throw.Bszo); Bszo is consumed from C# only.")]
public static class Throw
{
    /// <summary>Raises the <see cref="BszoException"/> that says <paramref name="what"/> is wrong, what was expected and found, and how to fix it.</summary>
    [DoesNotReturn]
    public static void Bszo(string what, string? expected = null, string? found = null, string? hint = null) =>
        throw new BszoException(BszoException.Format(what, expected, found, hint));

    /// <summary>As <see cref="Bszo(string, string?, string?, string?)"/>, where an expression of type <typeparamref name="T"/> is expected.</summary>
    [DoesNotReturn]
    public static T Bszo<T>(string what, string? expected = null, string? found = null, string? hint = null) =>
        throw new BszoException(BszoException.Format(what, expected, found, hint));

    /// <summary>As <see cref="Bszo(string, string?, string?, string?)"/>, for a failure that <paramref name="inner"/> caused.</summary>
    [DoesNotReturn]
    public static void Bszo(Exception inner, string what, string? expected = null, string? found = null, string? hint = null) =>
        throw new BszoException(BszoException.Format(what, expected, found, hint), inner);

    /// <summary>As <see cref="Bszo{T}(string, string?, string?, string?)"/>, for a failure that <paramref name="inner"/> caused.</summary>
    [DoesNotReturn]
    public static T Bszo<T>(Exception inner, string what, string? expected = null, string? found = null, string? hint = null) =>
        throw new BszoException(BszoException.Format(what, expected, found, hint), inner);

    /// <summary>Raises a <see cref="TrainingDivergedException"/>: the loss is no longer finite.</summary>
    [DoesNotReturn]
    public static void Diverged(string what, string? hint = null) =>
        throw new TrainingDivergedException(BszoException.Format(what, hint: hint));
}
