namespace Bszo.Models.Assets;

/// <summary>
/// Which package lists <see cref="PackageFetcher.Debian"/> gives apt: the system's first, then
/// Bszo's own copy, fetched with <c>apt-get update</c> into the Bszo cache when the system's lack a package.
/// </summary>
/// <remarks>
/// apt reads its lists from <c>Dir::State::Lists</c> and keeps its binary caches under
/// <c>Dir::Cache</c>; pointing both into the Bszo cache lets a user without root fetch the lists,
/// and never changes what the system's apt sees.
/// </remarks>
public sealed record AptLists
{
    /// <summary>The lists tried first (apt's <c>Dir::State::Lists</c>); null: the system's own (<c>/var/lib/apt/lists</c>).</summary>
    public string? SystemLists { get; init; }

    /// <summary>Where Bszo keeps its own lists and apt caches; null: <c>apt</c> in the Bszo cache.</summary>
    public string? OwnDirectory { get; init; }

    /// <summary>apt options for the first attempt.</summary>
    internal string[] SystemOptions() => SystemLists is null ? [] : ["-o", $"Dir::State::Lists={Path.GetFullPath(SystemLists)}"];

    /// <summary>Bszo's own lists (created on demand) and the apt options that select them.</summary>
    internal (string Lists, string[] Options) Own()
    {
        var root = OwnDirectory is null ? BszoHome.Sub("apt") : Directory.CreateDirectory(OwnDirectory).FullName;
        var lists = Directory.CreateDirectory(Path.Combine(root, "lists", "partial")).Parent!.FullName;
        var cache = Directory.CreateDirectory(Path.Combine(root, "cache", "archives", "partial")).Parent!.Parent!.FullName;
        var options = new List<string> { "-o", $"Dir::State::Lists={lists}", "-o", $"Dir::Cache={cache}" };
        // As root, apt hands downloads to its '_apt' user, which cannot enter a private home directory.
        if (Environment.UserName == "root") options.AddRange(["-o", "APT::Sandbox::User=root"]);
        return (lists, [.. options]);
    }
}
