using System.Globalization;

namespace Bszo.Bench.Reports;

/// <summary>Number formats of the reports (invariant culture; "–" for what was not measured).</summary>
public static class Format
{
    public const string None = "–";

    public static string MiB(long bytes) => bytes <= 0 ? None : (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);

    public static string MiB(long? bytes) => bytes is long b ? MiB(b) : None;

    public static string Fixed(double value, int digits) =>
        double.IsFinite(value) ? value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : None;

    public static string Ratio(double value) => double.IsFinite(value) ? value.ToString("F2", CultureInfo.InvariantCulture) + "×" : None;

    /// <summary>A percentage, with one decimal below 10% so that a value beside a single-digit target (5.4% against ≤ 5%) does not read as meeting it.</summary>
    public static string Percent(double fraction) =>
        double.IsFinite(fraction) ? (100 * fraction).ToString(Math.Abs(fraction) < 0.1 ? "F1" : "F0", CultureInfo.InvariantCulture) + "%" : None;

    public static string Seconds(double value) => !double.IsFinite(value) ? None : value >= 10 ? Fixed(value, 1) : value >= 0.1 ? Fixed(value, 2) : Fixed(value, 4);

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Invariant(FormattableString text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.ToString(CultureInfo.InvariantCulture);
    }
}
