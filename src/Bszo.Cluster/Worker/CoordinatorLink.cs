using System.Diagnostics;
using System.Net;
using Bszo.Cluster.Coordinator;
using Bszo.Cluster.Protocol;
using Bszo.Ort.Optimizers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Bszo.Cluster.Worker;

/// <summary>
/// A worker's connection to its coordinator: an Orleans client, the heartbeat timer, and blocking,
/// retrying wrappers of the coordinator's calls for the (synchronous) training loop.
/// </summary>
/// <remarks>Owns the Orleans client host; dispose (asynchronously) to stop heartbeats and disconnect.</remarks>
internal sealed class CoordinatorLink : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly CancellationTokenSource _stopping = new();
    private Task _heartbeats = Task.CompletedTask;
    private int _incarnation;

    private CoordinatorLink(IHost host, ICoordinatorGrain grain, string worker)
    {
        _host = host;
        Grain = grain;
        Worker = worker;
    }

    public ICoordinatorGrain Grain { get; }

    public string Worker { get; }

    /// <summary>This worker's current incarnation (set by each join; heartbeats carry it).</summary>
    public int Incarnation
    {
        get => Volatile.Read(ref _incarnation);
        set => Volatile.Write(ref _incarnation, value);
    }

    /// <summary>Connects to the coordinator's gateway, retrying until <paramref name="timeout"/>.</summary>
    public static async Task<CoordinatorLink> ConnectAsync(string coordinator, string runName, string worker, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var gateway = await ResolveAsync(coordinator, cancellationToken).ConfigureAwait(false);
        var deadline = Stopwatch.StartNew();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IHostLifetime, HostLifetimeWithoutSignals>();
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(gateway);
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterCoordinator.ClusterId(runName);
                o.ServiceId = ClusterCoordinator.ServiceId;
            });
            client.UseConnectionRetryFilter(async (_, token) =>
            {
                if (deadline.Elapsed > timeout) return false;
                await Task.Delay(TimeSpan.FromMilliseconds(250), token).ConfigureAwait(false);
                return true;
            });
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OrleansException or System.Net.Sockets.SocketException or TimeoutException)
        {
            host.Dispose();
            Throw.Bszo(e, $"No coordinator answered at {coordinator} within {timeout.TotalSeconds:F0} s.", found: e.Message,
                hint: "start the coordinator first, and check --coordinator and the run name.");
        }
        var grain = host.Services.GetRequiredService<IClusterClient>().GetGrain<ICoordinatorGrain>(runName);
        return new CoordinatorLink(host, grain, worker);
    }

    /// <summary>Starts one-way heartbeats every <paramref name="interval"/> from a timer independent of the training loop.</summary>
    public void StartHeartbeats(TimeSpan interval)
    {
        var token = _stopping.Token;
        _heartbeats = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                try
                {
                    await Grain.Heartbeat(Worker, Incarnation).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OrleansException or TimeoutException)
                {
                    // The coordinator is unreachable right now; the training loop notices on its next call.
                }
            }
        }, token);
    }

    /// <summary>Calls the coordinator from the training thread, turning a lost connection into <see cref="MembershipLostException"/>.</summary>
    public T Call<T>(Func<ICoordinatorGrain, Task<T>> call)
    {
        try
        {
            return call(Grain).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            throw new MembershipLostException($"Lost the coordinator: {e.Message}", e);
        }
    }

    /// <summary>Repeats a long-polling call while the coordinator answers "retry", up to <paramref name="limit"/>.</summary>
    public T Poll<T>(Func<ICoordinatorGrain, Task<T>> call, Func<T, bool> isRetry, TimeSpan limit, string what, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var reply = Call(call);
            if (!isRetry(reply)) return reply;
            if (waited.Elapsed > limit)
            {
                Throw.Bszo($"The coordinator kept worker '{Worker}' waiting {waited.Elapsed.TotalSeconds:F0} s for {what}.",
                    $"a decision within {limit.TotalSeconds:F0} s", hint: "the coordinator is overloaded or hung; check its log.");
            }
        }
    }

    /// <summary>Records from <paramref name="from"/> (a page).</summary>
    public StepRecord[] Records(long from, int max) => Call(g => g.Records(from, max));

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _heartbeats.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _host.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _host.Dispose();
        _stopping.Dispose();
    }

    private static async Task<IPEndPoint> ResolveAsync(string coordinator, CancellationToken cancellationToken)
    {
        int colon = coordinator.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(coordinator.AsSpan(colon + 1), out int port) || port is <= 0 or > 65535)
        {
            return Throw.Bszo<IPEndPoint>($"Cannot read coordinator address '{coordinator}'.", "host:port, e.g. 127.0.0.1:30000", coordinator);
        }
        var host = coordinator[..colon].Trim('[', ']');
        if (IPAddress.TryParse(host, out var address)) return new IPEndPoint(address, port);
        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? Throw.Bszo<System.Net.IPAddress>($"Coordinator host '{host}' has no address.", "a resolvable name or an IP address", host);
        return new IPEndPoint(chosen, port);
    }
}
