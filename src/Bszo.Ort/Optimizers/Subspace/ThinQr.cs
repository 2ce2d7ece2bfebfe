namespace Bszo.Ort.Optimizers;

/// <summary>Orthonormal columns of a tall matrix by a thin QR factorisation, in double on the host.</summary>
internal static class ThinQr
{
    /// <summary>
    /// Replaces the columns of <paramref name="matrix"/> (rows × columns, row-major, rows ≥ columns)
    /// by the Q of its thin QR factorisation with a positive diagonal in R.
    /// </summary>
    /// <remarks>
    /// Modified Gram–Schmidt with one re-orthogonalisation pass ("twice is enough"): for the few
    /// columns of a subspace basis (r ≤ 256) this is as accurate as Householder QR, simpler, and with
    /// R's diagonal positive it maps a Gaussian matrix to a Haar-distributed orthonormal frame.
    /// </remarks>
    public static void Orthonormalize(Span<double> matrix, int rows, int columns)
    {
        if (columns > rows) throw new ArgumentException($"A thin QR needs rows ≥ columns, got {rows} × {columns}.", nameof(columns));
        for (int k = 0; k < columns; k++)
        {
            for (int pass = 0; pass < 2; pass++)
            {
                for (int j = 0; j < k; j++)
                {
                    double projection = 0;
                    for (int i = 0; i < rows; i++) projection += matrix[i * columns + j] * matrix[i * columns + k];
                    for (int i = 0; i < rows; i++) matrix[i * columns + k] -= projection * matrix[i * columns + j];
                }
            }
            double norm = 0;
            for (int i = 0; i < rows; i++) norm += matrix[i * columns + k] * matrix[i * columns + k];
            norm = Math.Sqrt(norm);
            if (!(norm > 1e-300)) throw new InvalidOperationException("A random basis column is linearly dependent on the others.");
            for (int i = 0; i < rows; i++) matrix[i * columns + k] /= norm;
        }
    }
}
