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
    [DoesNotReturn]
    public static void Bszo(string what, string? expected = null, string? found = null, string? hint = null) =>
        throw new BszoException(BszoException.Format(what, expected, found, hint));

    [DoesNotReturn]
    public static T Bszo<T>(string what, string? expected = null, string? found = null, string? hint = null) =>
        throw new BszoException(BszoException.Format(what, expected, found, hint));

    [DoesNotReturn]
    public static void Diverged(string what, string? hint = null) =>
        throw new TrainingDivergedException(BszoException.Format(what, hint: hint));
}
