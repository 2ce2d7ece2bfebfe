namespace Bszo.Models.Assets;

/// <summary>
/// Where Bszo keeps downloaded and converted assets: <c>$BSZO_HOME</c>, else
/// <c>$XDG_CACHE_HOME/bszo</c>, else <c>~/.cache/bszo</c>.
/// </summary>
public static class BszoHome
{
    /// <summary>The cache root (created on demand).</summary>
    public static string Root
    {
        get
        {
            var explicitHome = Environment.GetEnvironmentVariable("BSZO_HOME");
            if (!string.IsNullOrWhiteSpace(explicitHome)) return Directory.CreateDirectory(explicitHome).FullName;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var baseDir = !string.IsNullOrWhiteSpace(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Directory.CreateDirectory(Path.Combine(baseDir, "bszo")).FullName;
        }
    }

    /// <summary>A subdirectory of the cache (created on demand).</summary>
    public static string Sub(params string[] parts) => Directory.CreateDirectory(Path.Combine([Root, .. parts])).FullName;

    /// <summary>
    /// The key of a cached item built from <paramref name="description"/> (serialized to JSON): the
    /// first 16 hex digits of its SHA-256, so a different description gets a different directory.
    /// </summary>
    public static string Key(object description) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(description)))[..16];
}
