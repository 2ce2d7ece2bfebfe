using Bszo.Models.Assets;
using Bszo.Ort;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

/// <summary>Resources read from an assembly file's metadata, without loading it, against what the runtime's own loader returns.</summary>
public class ManagedResourcesTests
{
    private const string Resource = "Bszo.Tests.ParitySentences.json";

    [Test]
    public void An_embedded_resource_reads_as_the_runtime_returns_it()
    {
        var assembly = typeof(ManagedResourcesTests).Assembly;
        Assert.That(ManagedResources.Names(assembly.Location), Does.Contain(Resource));
        using var expected = new MemoryStream();
        assembly.GetManifestResourceStream(Resource)!.CopyTo(expected);
        using var actual = new MemoryStream();
        long length = ManagedResources.Extract(assembly.Location, Resource, actual);
        Assert.That(length, Is.EqualTo(expected.Length).And.GreaterThan(1000));
        Assert.That(actual.ToArray(), Is.EqualTo(expected.ToArray()));
    }

    [Test]
    public void A_missing_resource_or_a_file_that_is_no_assembly_is_a_clear_error()
    {
        var location = typeof(ManagedResourcesTests).Assembly.Location;
        var missing = Assert.Throws<BszoException>(() => ManagedResources.Extract(location, "no.such.resource", Stream.Null));
        Assert.That(missing!.Message, Does.Contain("no embedded resource 'no.such.resource'").And.Contain(Resource));
        using var temp = new TempDirectory();
        File.WriteAllText(temp["fake.dll"], "not a PE file");
        var bad = Assert.Throws<BszoException>(() => ManagedResources.Names(temp["fake.dll"]));
        Assert.That(bad!.Message, Does.Contain("fake.dll"));
    }
}
