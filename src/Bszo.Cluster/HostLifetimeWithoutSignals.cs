using Microsoft.Extensions.Hosting;

namespace Bszo.Cluster;

/// <summary>
/// A host lifetime that leaves process signals alone. The default console lifetime would take Ctrl-C
/// for itself and stop the silo or client underneath a run; the application embedding Bszo.Cluster
/// decides what a signal means (the coordinator: finish at the next checksum step).
/// </summary>
internal sealed class HostLifetimeWithoutSignals : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
