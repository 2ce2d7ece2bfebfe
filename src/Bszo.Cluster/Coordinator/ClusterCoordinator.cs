using System.Diagnostics;
using System.Net;
using Bszo.Ort.Optimizers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Bszo.Cluster.Coordinator;

/// <summary>
/// A running coordinator: an Orleans silo hosting the run's coordinator grain, and a liveness timer.
/// The run's lead trainer, in the same process, takes part through <see cref="ClusterLead"/>.
/// </summary>
/// <remarks>
/// <b>Ownership.</b> Owns the silo's host and the traffic meter; dispose (asynchronously) to stop the
/// silo. Dispose after <see cref="WaitAsync"/> returns to give every worker the outcome; disposing
/// earlier abandons the run (the lead's trajectory log stays valid and resumable).
/// </remarks>
public sealed class ClusterCoordinator : IAsyncDisposable
{
    /// <summary>The service id both sides configure; the cluster id is derived from the run name.</summary>
    internal const string ServiceId = "bszo";

    private readonly ClusterCoordinatorOptions _options;
    private readonly RunLedger _ledger;
    private readonly TrafficMeter _meter;
    private readonly IHost _host;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _ticks;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _disposed;

    private ClusterCoordinator(ClusterCoordinatorOptions options, RunLedger ledger, TrafficMeter meter, IHost host)
    {
        _options = options;
        _ledger = ledger;
        _meter = meter;
        _host = host;
        _ticks = TickAsync(_stopping.Token);
    }

    /// <summary>The options in effect.</summary>
    public ClusterCoordinatorOptions Options => _options;

    /// <summary>The run as the coordinator sees it now.</summary>
    public ClusterStatus Status => _ledger.Status();

    /// <summary>Traffic so far.</summary>
    public TrafficReport Traffic => _meter.Report();

    /// <summary>The run's logic, for the lead trainer in this process.</summary>
    internal RunLedger Ledger => _ledger;

    /// <summary>Recorded steps from <paramref name="from"/> (at most <paramref name="max"/>).</summary>
    public IReadOnlyList<StepRecord> Records(long from = 0, int max = int.MaxValue) => _ledger.Records(from, max);

    internal static string ClusterId(string runName) => "bszo-" + runName;

    /// <summary>Starts the silo and the coordinator grain's ledger (resuming a trajectory found in the run directory).</summary>
    public static async Task<ClusterCoordinator> StartAsync(ClusterCoordinatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ledger = new RunLedger(options);
        var meter = new TrafficMeter();
        IHost? host = null;
        try
        {
            host = BuildHost(options, ledger, meter);
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            return new ClusterCoordinator(options, ledger, meter, host);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or OrleansException)
        {
            host?.Dispose();
            meter.Dispose();
            return Throw.Bszo<ClusterCoordinator>(e, $"The coordinator could not listen on {options.Endpoint.ListenAddress} ports {options.Endpoint.GatewayPort} and {options.Endpoint.SiloPort}.",
                found: e.Message, hint: "choose a free --port (the next port is used too).");
        }
        catch
        {
            host?.Dispose();
            meter.Dispose();
            throw;
        }
    }

    /// <summary>Ends the run at the next checksum step (every worker's weights are compared there).</summary>
    public void RequestStop() => _ledger.RequestStop(MonotonicClock.Now);

    /// <summary>Stops the run with an error (<paramref name="what"/>, <paramref name="hint"/>) that every member, the lead included, receives.</summary>
    public void Abort(string what, string hint) => _ledger.Abort(what, hint);

    /// <summary>Drops a worker whose process is known to have exited, without waiting for its heartbeats to stop.</summary>
    public void Drop(string worker, string reason) => _ledger.Drop(worker, reason, MonotonicClock.Now);

    /// <summary>
    /// Waits for the run to complete or fail, lingers so that every worker hears the outcome, and
    /// returns the summary. Cancelling the token asks for a graceful stop at the next
    /// checksum step; if the run has not ended 30 s later (no workers, say), the summary says
    /// <see cref="RunState.Running"/> and the log stays resumable.
    /// </summary>
    public async Task<ClusterRunSummary> WaitAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _ledger.Finished.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            RequestStop();
            await Task.WhenAny(_ledger.Finished, Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None)).ConfigureAwait(false);
        }
        if (_ledger.Finished.IsCompleted) await Task.Delay(_options.Linger, CancellationToken.None).ConfigureAwait(false);
        return Summary();
    }

    /// <summary>The run's summary as of now.</summary>
    public ClusterRunSummary Summary()
    {
        var status = _ledger.Status();
        return new ClusterRunSummary
        {
            RunName = _options.RunName,
            State = status.State,
            Steps = status.StepsRecorded,
            FinalChecksum = status.FinalChecksum,
            Members = status.Members,
            Error = status.Error,
            Elapsed = _clock.Elapsed,
            Traffic = _meter.Report(),
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _ticks.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await _host.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The silo did not finish its shutdown in time; disposing it below releases the ports.
            }
        }
        _host.Dispose();
        _meter.Dispose();
        _stopping.Dispose();
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        // Liveness is judged in tenths of the heartbeat timeout, and never less often than every 250 ms.
        var period = TimeSpan.FromTicks(Math.Min(_options.HeartbeatTimeout.Ticks / 10, TimeSpan.FromMilliseconds(250).Ticks));
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            _ledger.Tick(MonotonicClock.Now);
        }
    }

    private static IHost BuildHost(ClusterCoordinatorOptions options, RunLedger ledger, TrafficMeter meter)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IHostLifetime, HostLifetimeWithoutSignals>();
        // Orleans' start-up notes (server GC, watchdog delays on busy machines) are not the user's concern.
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        // Requests that arrive while the silo shuts down are refused and logged as errors; workers treat the refusal
        // as a lost coordinator and rejoin, so these are not failures of the run.
        builder.Logging.AddFilter("Orleans.Messaging", LogLevel.Critical).AddFilter("Orleans.Grain", LogLevel.Critical);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.AddSingleton(ledger).AddSingleton(meter).AddSingleton(options);
        builder.UseOrleans(silo =>
        {
            var endpoint = options.Endpoint;
            if (endpoint.IsLoopback)
            {
                silo.UseLocalhostClustering(endpoint.SiloPort, endpoint.GatewayPort, null, ServiceId, ClusterId(options.RunName));
            }
            else
            {
                // Static membership: this silo is the whole cluster and its own primary.
                silo.UseDevelopmentClustering(new IPEndPoint(endpoint.Advertised, endpoint.SiloPort));
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = ClusterId(options.RunName);
                    o.ServiceId = ServiceId;
                });
                silo.ConfigureEndpoints(endpoint.Advertised, endpoint.SiloPort, endpoint.GatewayPort, listenOnAnyHostAddress: endpoint.Listen.Equals(IPAddress.Any));
            }
            silo.AddIncomingGrainCallFilter<TrafficFilter>();
        });
        return builder.Build();
    }
}
