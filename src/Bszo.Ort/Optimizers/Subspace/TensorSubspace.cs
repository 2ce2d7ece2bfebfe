namespace Bszo.Ort.Optimizers;

/// <summary>
/// The stored subspace of one tensor viewed as a <see cref="Rows"/> × <see cref="Columns"/> matrix:
/// column-orthonormal U (rows × rank) and V (columns × rank), kept as U and Vᵀ in fp32, row-major.
/// </summary>
public sealed class TensorSubspace
{
    internal TensorSubspace(int tensorId, int rows, int columns, int rank)
    {
        TensorId = tensorId;
        Rows = rows;
        Columns = columns;
        Rank = rank;
        U = new float[(long)rows * rank];
        Vt = new float[(long)rank * columns];
    }

    /// <summary>The tensor's id.</summary>
    public int TensorId { get; }

    /// <summary>m: rows of the matrix view (row-major over the tensor's elements).</summary>
    public int Rows { get; }

    /// <summary>n: columns of the matrix view.</summary>
    public int Columns { get; }

    /// <summary>r: min(requested rank, m, n).</summary>
    public int Rank { get; }

    /// <summary>U, rows × rank, row-major.</summary>
    public float[] U { get; }

    /// <summary>Vᵀ, rank × columns, row-major.</summary>
    public float[] Vt { get; }

    /// <summary>SubZero's norm alignment √(mn)/r: makes E‖scale·U Z Vᵀ‖²_F = mn, as for a Gaussian z.</summary>
    public double Scale => Math.Sqrt((double)Rows * Columns) / Rank;

    /// <summary>Bytes held by U and Vᵀ.</summary>
    public long Bytes => ((long)Rows + Columns) * Rank * sizeof(float);
}
