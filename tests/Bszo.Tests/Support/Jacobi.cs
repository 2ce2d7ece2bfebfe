namespace Bszo.Tests.Support;

/// <summary>Eigenvalues of a small symmetric matrix by cyclic Jacobi rotations (tests only; O(n³) per sweep).</summary>
internal static class Jacobi
{
    /// <summary>Eigenvalues of the symmetric n × n matrix <paramref name="a"/> (row-major, overwritten), in descending order.</summary>
    public static double[] Eigenvalues(double[] a, int n)
    {
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
            double diagonal = 0;
            for (int p = 0; p < n; p++) diagonal += a[p * n + p] * a[p * n + p];
            if (off <= 1e-30 * diagonal) break;
            for (int p = 0; p < n; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[p * n + q];
                    if (apq == 0) continue;
                    double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k * n + p], akq = a[k * n + q];
                        a[k * n + p] = c * akp - s * akq;
                        a[k * n + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p * n + k], aqk = a[q * n + k];
                        a[p * n + k] = c * apk - s * aqk;
                        a[q * n + k] = s * apk + c * aqk;
                    }
                }
            }
        }
        return [.. Enumerable.Range(0, n).Select(i => a[i * n + i]).OrderByDescending(x => x)];
    }
}
