using Bszo.Ort.Graph;
using Bszo.Ort.Perturbation;

namespace Bszo.Ort.Optimizers;

/// <summary>
/// SubZero's per-tensor random subspaces: for every tensor that is a matrix (two dimensions after
/// dropping size-1 ones), column-orthonormal U and V from the thin QR of seeded Gaussian matrices;
/// other tensors have none and are perturbed with plain Gaussian noise.
/// </summary>
/// <remarks>
/// <para>The Gaussian matrices are drawn from the same counter-based generator as every direction:
/// U of tensor t from stream key (seed, 2t), V from (seed, 2t + 1). A basis is therefore a pure
/// function of its seed, so a resumed or replayed run regenerates it identically instead of storing
/// it. The QR runs in double on the host (<see cref="ThinQr"/>); U and Vᵀ are kept in fp32.</para>
/// <para>With <c>reshapeNearSquare</c> every matrix is viewed instead as the most nearly square
/// factor pair of its element count (SubZero's "non-square reshape" for PEFT tensors such as LoRA
/// factors or prompt embeddings, whose shapes are very thin).</para>
/// <para>Memory: Σ (m + n)·r fp32 values over the matrices, in managed arrays (a few percent of the
/// weights at most; e.g. 8 × (768 + 3072) floats for one 768 × 3072 matrix at r = 8).</para>
/// </remarks>
public sealed class SubspaceBasis
{
    private readonly TensorSubspace?[] _byTensor;
    private readonly TensorSubspace[] _subspaces;

    private SubspaceBasis(TensorSubspace?[] byTensor)
    {
        _byTensor = byTensor;
        _subspaces = [.. byTensor.OfType<TensorSubspace>()];
    }

    /// <summary>The tensors that have a subspace, in id order.</summary>
    public IReadOnlyList<TensorSubspace> Subspaces => _subspaces;

    /// <summary>The seed the basis was last generated from (0 before the first <see cref="Regenerate"/>).</summary>
    public ulong Seed { get; private set; }

    /// <summary>Whether <see cref="Regenerate"/> has run.</summary>
    public bool IsGenerated { get; private set; }

    /// <summary>Bytes held by all U and Vᵀ factors.</summary>
    public long StateBytes => _subspaces.Sum(s => s.Bytes);

    /// <summary>Allocates (but does not fill) subspaces of rank ≤ <paramref name="rank"/> for <paramref name="manifest"/>'s matrices.</summary>
    public static SubspaceBasis Create(WeightManifest manifest, int rank, bool reshapeNearSquare)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rank);
        var byTensor = new TensorSubspace?[manifest.Tensors.Count];
        foreach (var entry in manifest.Tensors)
        {
            if (MatrixView(entry.Shape, reshapeNearSquare) is var (rows, columns))
            {
                byTensor[entry.Id] = new TensorSubspace(entry.Id, checked((int)rows), checked((int)columns), (int)Math.Min(rank, Math.Min(rows, columns)));
            }
        }
        return new SubspaceBasis(byTensor);
    }

    /// <summary>Bytes of U and Vᵀ a basis for <paramref name="manifest"/> would hold (for memory estimates).</summary>
    public static long StateBytesFor(WeightManifest manifest, int rank, bool reshapeNearSquare)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        long bytes = 0;
        foreach (var entry in manifest.Tensors)
        {
            if (MatrixView(entry.Shape, reshapeNearSquare) is var (rows, columns))
            {
                bytes += (rows + columns) * Math.Min(rank, Math.Min(rows, columns)) * sizeof(float);
            }
        }
        return bytes;
    }

    /// <summary>The subspace of tensor <paramref name="tensorId"/>, or null if it is perturbed with Gaussian noise.</summary>
    public TensorSubspace? For(int tensorId) => _byTensor[tensorId];

    /// <summary>
    /// The matrix view SubZero uses for a tensor of <paramref name="shape"/>: its two dimensions
    /// larger than 1, or with <paramref name="reshapeNearSquare"/> the factor pair (m ≤ n) of its
    /// element count with m as large as possible; null for tensors that are not matrices.
    /// </summary>
    public static (long Rows, long Columns)? MatrixView(IReadOnlyList<long> shape, bool reshapeNearSquare)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var dims = shape.Where(d => d != 1).ToArray();
        if (dims.Length != 2) return null;
        return reshapeNearSquare ? NearSquare(dims[0] * dims[1]) : (dims[0], dims[1]);
    }

    /// <summary>The factor pair (m, n), m·n = <paramref name="count"/>, m ≤ n, with m as large as possible.</summary>
    public static (long Rows, long Columns) NearSquare(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        long m = (long)Math.Sqrt(count);
        while (m * m > count) m--;
        while ((m + 1) * (m + 1) <= count) m++;
        while (count % m != 0) m--;
        return (m, count / m);
    }

    /// <summary>Draws a new orthonormal U and V for every matrix from <paramref name="seed"/>.</summary>
    public void Regenerate(ulong seed)
    {
        var subspaces = _subspaces;
        Parallel.For(0, subspaces.Length, i =>
        {
            var s = subspaces[i];
            Orthonormal(SquaresRng.Key(seed, 2 * s.TensorId), s.Rows, s.Rank, s.U, transpose: false);
            Orthonormal(SquaresRng.Key(seed, 2 * s.TensorId + 1), s.Columns, s.Rank, s.Vt, transpose: true);
        });
        Seed = seed;
        IsGenerated = true;
    }

    /// <summary>Fills <paramref name="destination"/> with the Q of a rows × rank Gaussian matrix (or its transpose).</summary>
    private static void Orthonormal(ulong key, int rows, int rank, float[] destination, bool transpose)
    {
        var gaussian = new float[(long)rows * rank];
        GaussianNoise.Fill(key, 0, gaussian);
        var q = new double[gaussian.Length];
        for (int i = 0; i < q.Length; i++) q[i] = gaussian[i];
        ThinQr.Orthonormalize(q, rows, rank);
        for (int i = 0; i < rows; i++)
        {
            for (int k = 0; k < rank; k++)
            {
                destination[transpose ? (long)k * rows + i : (long)i * rank + k] = (float)q[(long)i * rank + k];
            }
        }
    }
}
