using System.Globalization;

namespace Bszo.Bench.Measure;

/// <summary>The system load averages (1, 5 and 15 minutes) from <c>/proc/loadavg</c>: how busy the shared machine was.</summary>
public sealed record LoadAverage(double OneMinute, double FiveMinutes, double FifteenMinutes)
{
    /// <summary>The load now; zeros where procfs is missing.</summary>
    public static LoadAverage Now()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return new LoadAverage(Parse(fields[0]), Parse(fields[1]), Parse(fields[2]));
        }
        catch (IOException)
        {
            return new LoadAverage(0, 0, 0);
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{OneMinute:F2} / {FiveMinutes:F2} / {FifteenMinutes:F2}");

    private static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
