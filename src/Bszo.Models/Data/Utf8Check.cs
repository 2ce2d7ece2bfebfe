using System.Buffers;
using System.Globalization;
using System.Text.Unicode;
using Bszo.Ort;

namespace Bszo.Models.Data;

/// <summary>
/// Refuses text files that are not UTF-8. Decoders would otherwise replace each bad byte with U+FFFD
/// without a word, and a sentence in Latin-1 or Windows-1252 would train as garbled text.
/// </summary>
internal static class Utf8Check
{
    /// <summary>Throws, naming the line and the byte, if <paramref name="path"/> holds a byte sequence that is not UTF-8.</summary>
    public static void Require(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var bytes = new byte[1 << 20];
        var chars = new char[bytes.Length];
        int carried = 0;
        long line = 1, consumed = 0;
        while (true)
        {
            int read = stream.Read(bytes, carried, bytes.Length - carried);
            int available = carried + read;
            bool last = read == 0;
            var status = Utf8.ToUtf16(bytes.AsSpan(0, available), chars, out int used, out _, replaceInvalidSequences: false, isFinalBlock: last);
            line += bytes.AsSpan(0, used).Count((byte)'\n');
            consumed += used;
            if (status == OperationStatus.InvalidData)
            {
                var column = used - bytes.AsSpan(0, used).LastIndexOf((byte)'\n'); // 1-based within the buffer's part of the line
                throw new BszoException(BszoException.Format(
                    $"'{path}' line {line.ToString(CultureInfo.InvariantCulture)} is not UTF-8 text.", "UTF-8 text",
                    $"byte 0x{bytes[used]:X2} at byte {column.ToString(CultureInfo.InvariantCulture)} of the line (offset {consumed.ToString(CultureInfo.InvariantCulture)} in the file)",
                    "convert the file to UTF-8 (from Latin-1, for instance: iconv -f latin1 -t utf-8 old.csv > new.csv)."));
            }
            if (last) return;
            // Bytes of a sequence cut by the buffer's end are decoded with the next read.
            carried = available - used;
            bytes.AsSpan(used, carried).CopyTo(bytes);
        }
    }
}
