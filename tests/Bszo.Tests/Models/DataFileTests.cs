using System.Text;
using Bszo.Models.Data;
using Bszo.Ort;
using Bszo.Tests.Support;
using Parquet.Serialization;

namespace Bszo.Tests.Models;

public class DataFileTests
{
    [Test]
    public void Jsonl_rows_keep_their_line_numbers_and_skip_blank_lines()
    {
        using var temp = new TempDirectory();
        var path = temp["d.jsonl"];
        File.WriteAllText(path, "{\"sentence\":\"a\",\"label\":0}\n\n{\"sentence\":\"b\",\"label\":1,\"meta\":{\"x\":2}}\n");
        var rows = DataFile.Read(path);
        Assert.That(rows.Select(r => r.Line), Is.EqualTo(new long[] { 1, 3 }));
        Assert.That(rows[1].Text("meta.x"), Is.EqualTo("2"));
        Assert.That(rows[1].Text("label"), Is.EqualTo("1"));
    }

    [Test]
    public void A_malformed_jsonl_line_is_reported_with_file_and_line()
    {
        using var temp = new TempDirectory();
        var path = temp["d.jsonl"];
        File.WriteAllText(path, "{\"sentence\":\"a\",\"label\":0}\n{\"sentence\":\"b\",\"label\":\n{\"sentence\":\"c\",\"label\":1}\n");
        var e = Assert.Throws<BszoException>(() => DataFile.Read(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("line 2"));
    }

    [Test]
    public void Json_arrays_report_the_line_each_record_starts_on()
    {
        using var temp = new TempDirectory();
        var path = temp["d.json"];
        File.WriteAllText(path, "[\n  {\"text\": \"x\", \"class\": 1},\n  {\"text\": \"y\",\n   \"class\": 0}\n]");
        var rows = DataFile.Read(path);
        Assert.That(rows.Select(r => r.Line), Is.EqualTo(new long[] { 2, 3 }));
    }

    [Test]
    public void Csv_handles_a_bom_quoted_separators_doubled_quotes_and_line_breaks_inside_fields()
    {
        using var temp = new TempDirectory();
        var path = temp["d.csv"];
        var text = "\"label\",\"text\"\r\n\"1\",\"the \"\"new\"\" conan , and more \n\"\r\n\"-1\",\"plain\"\r\n";
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text)]);
        var rows = DataFile.Read(path);
        Assert.That(rows, Has.Count.EqualTo(2));
        Assert.That(rows[0].Fields.Select(f => f.Key), Is.EqualTo(new[] { "label", "text" }), "the BOM is not part of the first column name");
        Assert.That(rows[0].Text("text"), Is.EqualTo("the \"new\" conan , and more \n"));
        Assert.That(rows[1].Line, Is.EqualTo(4), "the first record spans lines 2-3");
    }

    [Test]
    public void A_csv_row_with_the_wrong_number_of_fields_is_reported_with_file_and_line()
    {
        using var temp = new TempDirectory();
        var path = temp["d.csv"];
        File.WriteAllText(path, "sentence,label\ngood,1\n\"multi\nline\",0\nbad row with, too, many,fields\n");
        var e = Assert.Throws<BszoException>(() => DataFile.Read(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("line 5").And.Contain("2 fields"));
    }

    [Test]
    public void A_stray_quote_inside_a_csv_field_is_reported_with_its_line()
    {
        using var temp = new TempDirectory();
        var path = temp["d.csv"];
        File.WriteAllText(path, "sentence,label\ngood,1\nsay \"hi\" there,0\n");
        var e = Assert.Throws<BszoException>(() => DataFile.Read(path))!;
        Assert.That(e.Message, Does.Contain("line 3").And.Contain("--no-quoting"));
        var lenient = DataFile.Read(path, new DataFileOptions { Quoting = false });
        Assert.That(lenient[1].Text("sentence"), Is.EqualTo("say \"hi\" there"));
    }

    [Test]
    public void Tsv_and_headerless_files_with_named_columns()
    {
        using var temp = new TempDirectory();
        var path = temp["d.tsv"];
        File.WriteAllText(path, "a fine film\t1\na dull one\t0\n");
        var rows = DataFile.Read(path, new DataFileOptions { HasHeader = false, Columns = ["sentence", "label"] });
        Assert.That(rows.Select(r => r.Text("sentence")), Is.EqualTo(new[] { "a fine film", "a dull one" }));
    }

    [Test]
    public void Parquet_files_are_read_with_row_numbers()
    {
        using var temp = new TempDirectory();
        var path = temp["d.parquet"];
        var records = new[] { new ParquetRow { Sentence = "good", Label = 1 }, new ParquetRow { Sentence = "bad", Label = 0 } };
        ParquetSerializer.SerializeAsync(records, path).GetAwaiter().GetResult();
        var rows = DataFile.Read(path);
        Assert.That(rows.Select(r => (r.Text("Sentence"), r.Text("Label"), r.Line)), Is.EqualTo(new[] { ("good", "1", 1L), ("bad", "0", 2L) }));
    }

    [Test]
    public void A_damaged_parquet_file_is_an_error_naming_it()
    {
        using var temp = new TempDirectory();
        var path = temp["d.parquet"];
        File.WriteAllText(path, "not parquet at all");
        var e = Assert.Throws<BszoException>(() => DataFile.Read(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("Parquet"));
    }

    [Test]
    public void Unknown_extensions_and_missing_files_are_errors()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp["d.xlsx"], "");
        Assert.That(Assert.Throws<BszoException>(() => DataFile.Read(temp["d.xlsx"]))!.Message, Does.Contain(".xlsx"));
        Assert.That(Assert.Throws<BszoException>(() => DataFile.Read(temp["none.csv"]))!.Message, Does.Contain("does not exist"));
    }

    public sealed class ParquetRow
    {
        public string Sentence { get; set; } = "";

        public int Label { get; set; }
    }
}
