namespace Bszo.Ort.Optimizers;

/// <summary>
/// The Gaussian posterior N(μ, Σ) over BSZO's k-dimensional projected gradient g̃ = Bᵀ∇L, updated one
/// noisy linear observation y = dᵀg̃ + ν, ν ~ N(0, σₑ²‖d‖²), at a time (the Kalman / recursive Bayesian
/// linear-regression form).
/// </summary>
/// <remarks>
/// <para>k is tiny (2–8), so everything is double precision and allocation happens only at construction.
/// After each update Σ is re-symmetrised and, optionally, a 1e-10 diagonal jitter is added, as the
/// reference implementation does, to keep Σ positive definite under rounding.</para>
/// <para>With prior N(0, σₚ²I) and observations (D, Y), the result equals the closed form
/// Σ = (σₚ⁻²I + DᵀR⁻¹D)⁻¹, μ = ΣDᵀR⁻¹Y (tested).</para>
/// </remarks>
public sealed class SubspacePosterior
{
    private readonly double[] _mean;
    private readonly double[,] _covariance;
    private readonly double[] _sigmaD; // scratch: Σd
    private readonly double _jitter;

    /// <summary>Creates a posterior over <paramref name="dimension"/> coordinates.</summary>
    /// <param name="dimension">k.</param>
    /// <param name="jitter">Diagonal term added after each update (the reference implementation uses 1e-10).</param>
    public SubspacePosterior(int dimension, double jitter = 1e-10)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        Dimension = dimension;
        _mean = new double[dimension];
        _covariance = new double[dimension, dimension];
        _sigmaD = new double[dimension];
        _jitter = jitter;
    }

    /// <summary>k.</summary>
    public int Dimension { get; }

    /// <summary>Posterior mean μ.</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>Posterior covariance entry Σᵢⱼ.</summary>
    public double Covariance(int i, int j) => _covariance[i, j];

    /// <summary>Resets to the prior N(0, <paramref name="priorVariance"/>·I).</summary>
    public void Reset(double priorVariance)
    {
        Array.Clear(_mean);
        Array.Clear(_covariance);
        for (int i = 0; i < Dimension; i++) _covariance[i, i] = priorVariance;
    }

    /// <summary>dᵀμ, the predicted observation along <paramref name="direction"/>.</summary>
    public double Predict(ReadOnlySpan<double> direction)
    {
        double s = 0;
        for (int i = 0; i < Dimension; i++) s += direction[i] * _mean[i];
        return s;
    }

    /// <summary>
    /// Conditions on y = dᵀg̃ + ν with ν ~ N(0, <paramref name="noiseVariance"/>·‖d‖²):
    /// K = Σd / (dᵀΣd + σₑ²‖d‖²), μ ← μ + K(y − dᵀμ), Σ ← Σ − K(dᵀΣ).
    /// </summary>
    public void Observe(ReadOnlySpan<double> direction, double observation, double noiseVariance)
    {
        int k = Dimension;
        double dSd = 0, dd = 0;
        for (int i = 0; i < k; i++)
        {
            double s = 0;
            for (int j = 0; j < k; j++) s += _covariance[i, j] * direction[j];
            _sigmaD[i] = s;
            dSd += direction[i] * s;
            dd += direction[i] * direction[i];
        }
        double innovationVariance = dSd + noiseVariance * dd;
        double residual = observation - Predict(direction);
        for (int i = 0; i < k; i++) _mean[i] += _sigmaD[i] / innovationVariance * residual;
        // Σ − (Σd)(Σd)ᵀ/S: Σ is symmetric, so dᵀΣ = (Σd)ᵀ.
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++) _covariance[i, j] -= _sigmaD[i] * _sigmaD[j] / innovationVariance;
        }
        for (int i = 0; i < k; i++)
        {
            for (int j = i + 1; j < k; j++)
            {
                double avg = 0.5 * (_covariance[i, j] + _covariance[j, i]);
                _covariance[i, j] = avg;
                _covariance[j, i] = avg;
            }
            _covariance[i, i] += _jitter;
        }
    }

    /// <summary>
    /// The index i with the largest Σᵢᵢ, the most uncertain axis. Ties go to the highest index, as in
    /// the official code, which takes the last eigenvector numpy's <c>eigh</c> returns (for k = 2 and
    /// Σ = cI that is e₂).
    /// </summary>
    public int MostUncertainAxis()
    {
        int best = 0;
        for (int i = 1; i < Dimension; i++) if (_covariance[i, i] >= _covariance[best, best]) best = i;
        return best;
    }

    /// <summary>
    /// Unit eigenvector of Σ for its largest eigenvalue: the axis <see cref="MostUncertainAxis"/> when
    /// Σ is diagonal (always so after axis observations from the isotropic prior), else by power
    /// iteration (closed form for k = 2). The sign is fixed so that the largest-magnitude component is
    /// positive.
    /// </summary>
    public void PrincipalDirection(Span<double> result)
    {
        int k = Dimension;
        if (IsDiagonal())
        {
            result[..k].Clear();
            result[MostUncertainAxis()] = 1;
            return;
        }
        if (k == 2)
        {
            double a = _covariance[0, 0], b = _covariance[0, 1], c = _covariance[1, 1];
            double lambda = 0.5 * (a + c) + Math.Sqrt(0.25 * (a - c) * (a - c) + b * b);
            // (Σ − λI)v = 0 → v ∝ (b, λ − a) or (λ − c, b), whichever is better conditioned.
            double x, y;
            if (Math.Abs(lambda - a) >= Math.Abs(lambda - c)) { x = b; y = lambda - a; } else { x = lambda - c; y = b; } // b ≠ 0 here
            double norm = Math.Sqrt(x * x + y * y);
            result[0] = x / norm;
            result[1] = y / norm;
        }
        else
        {
            Span<double> v = stackalloc double[k];
            Span<double> next = stackalloc double[k];
            for (int i = 0; i < k; i++) v[i] = _covariance[i, i] + 1e-3 * (i + 1); // deterministic start, not orthogonal to the top eigenvector in practice
            for (int iteration = 0; iteration < 200; iteration++)
            {
                double norm = 0;
                for (int i = 0; i < k; i++)
                {
                    double s = 0;
                    for (int j = 0; j < k; j++) s += _covariance[i, j] * v[j];
                    next[i] = s;
                    norm += s * s;
                }
                norm = Math.Sqrt(norm);
                if (norm == 0) break;
                double change = 0;
                for (int i = 0; i < k; i++)
                {
                    double updated = next[i] / norm;
                    change += Math.Abs(updated - v[i]);
                    v[i] = updated;
                }
                if (change < 1e-14) break;
            }
            v.CopyTo(result);
        }
        int largest = 0;
        for (int i = 1; i < k; i++) if (Math.Abs(result[i]) > Math.Abs(result[largest])) largest = i;
        if (result[largest] < 0) for (int i = 0; i < k; i++) result[i] = -result[i];
    }

    private bool IsDiagonal()
    {
        for (int i = 0; i < Dimension; i++)
        {
            for (int j = 0; j < Dimension; j++) if (i != j && _covariance[i, j] != 0) return false;
        }
        return true;
    }
}
