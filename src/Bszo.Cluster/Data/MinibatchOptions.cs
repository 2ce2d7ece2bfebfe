namespace Bszo.Cluster.Data;

/// <summary>How the minibatch of each step is drawn; part of the run's specification, so every worker agrees.</summary>
public sealed record MinibatchOptions
{
    /// <summary>Examples per step, across all workers.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Seed of the example order; the batch of step t is a pure function of it and t.</summary>
    public ulong Seed { get; init; }

    /// <summary>Checks the values.</summary>
    public void Validate()
    {
        if (BatchSize <= 0) throw new BszoException(BszoException.Format("Invalid minibatch option: batch size.", "> 0", BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
