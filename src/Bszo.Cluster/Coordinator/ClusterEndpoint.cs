using System.Net;

namespace Bszo.Cluster.Coordinator;

/// <summary>
/// Where the coordinator listens. Workers connect to the gateway port; the silo port is Orleans'
/// silo-to-silo port (a one-silo cluster still binds it).
/// </summary>
/// <remarks>
/// The default is loopback only (development and tests). For several machines set
/// <see cref="ListenAddress"/> to <c>0.0.0.0</c> (or one interface) and <see cref="AdvertisedAddress"/>
/// to the address workers reach; membership is static (the coordinator is the only silo and its own
/// primary), so no membership service or database is needed.
/// </remarks>
public sealed record ClusterEndpoint
{
    /// <summary>Port workers connect to.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>Orleans silo port.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>Address to listen on.</summary>
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>Address that workers use to reach this machine; null: the listen address.</summary>
    public string? AdvertisedAddress { get; init; }

    /// <summary>True when everything stays on this machine.</summary>
    public bool IsLoopback => IPAddress.IsLoopback(IPAddress.Parse(ListenAddress));

    internal IPAddress Listen => IPAddress.Parse(ListenAddress);

    internal IPAddress Advertised => IPAddress.Parse(AdvertisedAddress ?? (Listen.Equals(IPAddress.Any) ? Throw.Bszo<string>(
        "The coordinator listens on all interfaces but has no advertised address.", "an address workers can reach", "none", "pass --advertise <this machine's address>.") : ListenAddress));

    /// <summary>Checks the values.</summary>
    public void Validate()
    {
        if (!IPAddress.TryParse(ListenAddress, out _)) Fail("listen address", "an IP address", ListenAddress);
        if (AdvertisedAddress is not null && !IPAddress.TryParse(AdvertisedAddress, out _)) Fail("advertised address", "an IP address", AdvertisedAddress);
        if (GatewayPort is <= 0 or > 65535) Fail("gateway port", "1–65535", GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (SiloPort is <= 0 or > 65535 || SiloPort == GatewayPort) Fail("silo port", "1–65535, not the gateway port", SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void Fail(string option, string expected, string found) =>
        Throw.Bszo($"Invalid cluster option: {option}.", expected, found);
}
