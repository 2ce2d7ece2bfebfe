using System.Text;

namespace Bszo.Bench.Reports;

/// <summary>A GitHub-flavoured Markdown table: a header row, then rows of cells; numbers right-aligned.</summary>
public sealed class MarkdownTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    /// <summary>Appends a row (missing cells are left empty).</summary>
    public MarkdownTable Row(params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        _rows.Add(cells);
        return this;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("| ").Append(string.Join(" | ", headers)).AppendLine(" |");
        text.Append('|').Append(string.Join('|', headers.Select((_, i) => i == 0 ? "---" : "---:"))).AppendLine("|");
        foreach (var row in _rows)
        {
            var cells = Enumerable.Range(0, headers.Length).Select(i => i < row.Length ? row[i].Replace("|", "\\|", StringComparison.Ordinal) : "");
            text.Append("| ").Append(string.Join(" | ", cells)).AppendLine(" |");
        }
        return text.ToString();
    }
}
