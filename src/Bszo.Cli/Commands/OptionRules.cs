using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Bszo.Cli.Commands;

/// <summary>
/// Rules on option values, checked by the parser. Every source of values goes through the parser —
/// the command line, a <c>--config</c> file, the saved arguments of a resumed run — so a bad value
/// fails the same way from each, before anything is read or written.
/// </summary>
/// <remarks>
/// Each command declares its own ranges where it declares the option (<c>.AtLeast(1)</c>);
/// <see cref="RequireFiniteNumbers"/> gives every floating-point option of the whole command tree,
/// including options added later, the rule that NaN and ±Infinity are not values.
/// </remarks>
internal static class OptionRules
{
    // NaN passes the range rules: the finite-number rule reports it, once.

    /// <summary>Values below <paramref name="minimum"/> are parse errors.</summary>
    public static Option<T> AtLeast<T>(this Option<T> option, T minimum)
        where T : struct, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result => Check(result, option.Name, Value<T>(result), v => T.IsNaN(v) || v >= minimum, $"≥ {Show(minimum)}"));
        return option;
    }

    /// <summary>Values below <paramref name="minimum"/> are parse errors; the option may be left out.</summary>
    public static Option<T?> AtLeast<T>(this Option<T?> option, T minimum)
        where T : struct, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result => Check(result, option.Name, Value<T>(result), v => T.IsNaN(v) || v >= minimum, $"≥ {Show(minimum)}"));
        return option;
    }

    /// <summary>Values at or below <paramref name="bound"/> are parse errors; the option may be left out.</summary>
    public static Option<T?> Above<T>(this Option<T?> option, T bound)
        where T : struct, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result => Check(result, option.Name, Value<T>(result), v => T.IsNaN(v) || v > bound, $"> {Show(bound)}"));
        return option;
    }

    /// <summary>Values other than <paramref name="allowed"/> (case aside) are parse errors.</summary>
    public static Option<T> OneOf<T>(this Option<T> option, params string[] allowed)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (result.Implicit || result.Tokens.Count == 0) return;
            var value = result.Tokens[^1].Value;
            if (!allowed.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase)) result.AddError($"{option.Name} must be one of {string.Join(", ", allowed)}; found '{value}'.");
        });
        return option;
    }

    // Commands keep their options in static fields, so a tree built twice (tests) holds the same options.
    private static readonly HashSet<Option> HasFiniteRule = [];

    /// <summary>Gives every floating-point option under <paramref name="root"/> the rule that its value is a finite number.</summary>
    public static void RequireFiniteNumbers(Command root)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var option in root.Options.Concat(root.Subcommands.SelectMany(AllOptions)))
        {
            lock (HasFiniteRule)
            {
                if (!HasFiniteRule.Add(option)) continue;
            }
            var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            if (type == typeof(double)) option.Validators.Add(result => Check(result, option.Name, Value<double>(result), double.IsFinite, "a finite number"));
            else if (type == typeof(float)) option.Validators.Add(result => Check(result, option.Name, Value<float>(result), float.IsFinite, "a finite number"));
        }
    }

    private static IEnumerable<Option> AllOptions(Command command) => command.Options.Concat(command.Subcommands.SelectMany(AllOptions));

    // Tokens that did not convert are reported by the parser itself; a value absent here has nothing to check.
    private static T? Value<T>(OptionResult result)
        where T : struct
    {
        if (result.Implicit || result.Tokens.Count == 0) return null;
        try
        {
            return result.GetValueOrDefault<T?>();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static void Check<T>(OptionResult result, string name, T? value, Func<T, bool> ok, string expected)
        where T : struct
    {
        if (value is T v && !ok(v)) result.AddError($"{name} must be {expected}; found {Show(v)}.");
    }

    private static string Show<T>(T value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}
