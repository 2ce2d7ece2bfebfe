using System.Text.Json;
using Bszo.Models.Data;
using Bszo.Ort;
using Bszo.Tests.Support;

namespace Bszo.Tests.Models;

/// <summary>The .npy/.npz reader against files numpy itself wrote (tools/export: every dtype, Fortran order, big-endian, format 2.0).</summary>
public class NpyArrayTests
{
    private static string Tensor => Path.Combine(ExportFixtures.Directory, "tensor");

    [Test]
    public void Every_dtype_layout_and_byte_order_reads_as_numpy_wrote_it()
    {
        var arrays = NpzFile.Read(Path.Combine(Tensor, "arrays.npz"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Tensor, "arrays.json")));
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(arrays.Keys, Is.EquivalentTo(names));
        foreach (var expected in doc.RootElement.EnumerateObject())
        {
            var array = arrays[expected.Name];
            Assert.That(array.Shape, Is.EqualTo(expected.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())), expected.Name);
            var values = expected.Value.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.That(Enumerable.Range(0, values.Length).Select(i => array[i]), Is.EqualTo(values), $"{expected.Name} ({array.TypeName}), C order");
        }
        Assert.That(arrays["fortran"].RowLength, Is.EqualTo(4));
        Assert.That(arrays["i1"].IsInteger && !arrays["f2"].IsInteger, Is.True);
    }

    [Test]
    public void A_format_2_header_is_read()
    {
        using var file = File.OpenRead(Path.Combine(Tensor, "v2.npy"));
        var array = NpyArray.Read(file, "v2", "v2.npy");
        Assert.That((array.Type, array.Shape, array[3]), Is.EqualTo((NpyType.Int16, new long[] { 4 }, 3.0)));
    }

    [Test]
    public void Strings_and_files_that_are_no_arrays_are_clear_errors()
    {
        using var strings = File.OpenRead(Path.Combine(Tensor, "strings.npy"));
        var e = Assert.Throws<BszoException>(() => NpyArray.Read(strings, "s", "strings.npy"));
        Assert.That(e!.Message, Does.Contain("strings.npy").And.Contain("'<U1'").And.Contain("astype"));

        using var temp = new TempDirectory();
        File.WriteAllText(temp["plain.npz"], "not a zip");
        var notZip = Assert.Throws<BszoException>(() => NpzFile.Read(temp["plain.npz"]));
        Assert.That(notZip!.Message, Does.Contain("is not an .npz file").And.Contain("numpy.savez"));

        var bytes = File.ReadAllBytes(Path.Combine(Tensor, "v2.npy"));
        using var truncated = new MemoryStream(bytes[..^3]);
        var cut = Assert.Throws<BszoException>(() => NpyArray.Read(truncated, "t", "truncated.npy"));
        Assert.That(cut!.Message, Does.Contain("truncated.npy").And.Contain("8 bytes of data"));
    }
}
