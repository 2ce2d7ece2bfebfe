using System.Text;
using Bszo.Models.Assets;

namespace Bszo.Tests.Models;

/// <summary>
/// Pang &amp; Lee sentence polarity v1.0 (the Rotten Tomatoes snippets SST was built from), 4000
/// sentences, from Debian's <c>python3-pattern</c>. Parsing stays minimal and local to the tests.
/// </summary>
internal static class SentencePolarity
{
    public const string DebianPackage = "python3-pattern";
    public const string DebianVersion = "2.6+git20180818-4";
    public const string RelativePath = "usr/share/doc/python3-pattern/test/corpora/polarity-en-pang&lee2.csv";

    /// <summary>(text, label) with label 1 = positive, 0 = negative; the test is skipped if the package cannot be fetched.</summary>
    public static IReadOnlyList<(string Text, int Label)> Load()
    {
        string root;
        try
        {
            root = PackageFetcher.Debian(DebianPackage, DebianVersion, null);
        }
        catch (Bszo.Ort.BszoException e)
        {
            Assert.Ignore($"Debian package {DebianPackage}={DebianVersion} could not be fetched (run `apt-get update`?): {e.Message}");
            throw;
        }
        var rows = ParseCsv(File.ReadAllText(Path.Combine(root, RelativePath), Encoding.UTF8));
        return rows.Select(r => (r[1].Trim(), r[0].Trim() == "1" ? 1 : 0)).ToList();
    }

    /// <summary>RFC 4180: quoted fields, doubled quotes, newlines inside quotes; a leading BOM is dropped.</summary>
    internal static List<string[]> ParseCsv(string text)
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var rows = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else if (c == '\n' || c == '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                fields.Add(field.ToString());
                field.Clear();
                if (fields.Count > 1 || fields[0].Length > 0) rows.Add([.. fields]);
                fields.Clear();
            }
            else field.Append(c);
        }
        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            rows.Add([.. fields]);
        }
        return rows;
    }
}
