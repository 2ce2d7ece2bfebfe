using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Bszo.Ort;

/// <summary>
/// Throw helpers kept out of line so that hot paths stay small, and so that every error message
/// has the same shape (see <see cref="BszoException.Format"/>).
/// </summary>
[StackTraceHidden]
internal static class Throw
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
