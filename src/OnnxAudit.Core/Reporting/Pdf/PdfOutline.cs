using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>
/// Adds a flat document outline (bookmarks) to a PDF written by SkiaSharp, as an incremental update (ISO 32000-1
/// §7.5.6; allowed by PDF/A-2): outline objects whose items jump to the document's named destinations, a new
/// version of the catalog with <c>/Outlines</c> and <c>/PageMode /UseOutlines</c>, and an xref section chained to
/// the original with <c>/Prev</c>. The original bytes are kept unchanged in front.
/// why: SkiaSharp 4.155 exposes no outline or structure-element API (SKDocumentPdfMetadata has no Outline field and
/// libSkiaSharp exports no structure-tree function), so Skia's own StructureElementHeaders outline cannot be used.
/// Stateless and thread-safe.
/// </summary>
internal static partial class PdfOutline
{
    /// <summary>One bookmark: its title and the named destination (a PDF name without the slash) it opens.</summary>
    public sealed record Item(string Title, string Destination);

    /// <summary>The PDF with the outline appended.</summary>
    /// <exception cref="InvalidDataException">The PDF has no classic trailer/xref (not written by SkiaSharp's PDF backend).</exception>
    public static byte[] Append(byte[] pdf, IReadOnlyList<Item> items)
    {
        if (items.Count == 0) return pdf;
        var text = Encoding.Latin1.GetString(pdf);
        var trailerAt = text.LastIndexOf("trailer", StringComparison.Ordinal);
        var startxrefAt = text.LastIndexOf("startxref", StringComparison.Ordinal);
        if (trailerAt < 0 || startxrefAt < trailerAt) throw new InvalidDataException("PDF has no trailer; cannot add an outline.");
        var trailer = text[trailerAt..startxrefAt];
        var prev = long.Parse(Number().Match(text, startxrefAt + "startxref".Length).Value, CultureInfo.InvariantCulture);
        var size = int.Parse(Field(trailer, @"/Size\s+(\d+)"), CultureInfo.InvariantCulture);
        var root = int.Parse(Field(trailer, @"/Root\s+(\d+)\s+0\s+R"), CultureInfo.InvariantCulture);
        var info = Field(trailer, @"/Info\s+(\d+\s+0\s+R)");
        var id = Field(trailer, @"/ID\s*(\[[^\]]*\])");

        var catalogMatch = new Regex(@"(?<=^|[\r\n])" + root.ToString(CultureInfo.InvariantCulture) + @" 0 obj\s*(<<.*?>>)\s*endobj", RegexOptions.Singleline).Match(text);
        if (!catalogMatch.Success) throw new InvalidDataException($"PDF catalog object {root} not found; cannot add an outline.");
        var catalog = catalogMatch.Groups[1].Value;
        if (catalog.Contains("/Outlines", StringComparison.Ordinal)) throw new InvalidDataException("PDF already has an outline.");

        var outlines = size;
        var first = size + 1;
        var last = size + items.Count;
        var objects = new SortedDictionary<int, string>
        {
            [root] = catalog[..^2] + $"\n/Outlines {outlines} 0 R\n/PageMode /UseOutlines>>",
            [outlines] = $"<</Type /Outlines\n/First {first} 0 R\n/Last {last} 0 R\n/Count {items.Count}>>",
        };
        for (var i = 0; i < items.Count; i++)
        {
            var n = first + i;
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"<</Title {TextString(items[i].Title)}\n/Parent {outlines} 0 R");
            if (i > 0) sb.Append(CultureInfo.InvariantCulture, $"\n/Prev {n - 1} 0 R");
            if (i < items.Count - 1) sb.Append(CultureInfo.InvariantCulture, $"\n/Next {n + 1} 0 R");
            sb.Append("\n/Dest /").Append(Name(items[i].Destination)).Append(">>");
            objects[n] = sb.ToString();
        }

        using var ms = new MemoryStream();
        ms.Write(pdf);
        void Write(string s) => ms.Write(Encoding.Latin1.GetBytes(s));
        if (pdf[^1] != '\n') Write("\n");
        var offsets = new Dictionary<int, long>();
        foreach (var (n, body) in objects)
        {
            offsets[n] = ms.Position;
            Write(string.Create(CultureInfo.InvariantCulture, $"{n} 0 obj\n{body}\nendobj\n"));
        }
        var xref = ms.Position;
        var xb = new StringBuilder("xref\n");
        // Subsections of consecutive object numbers.
        var numbers = objects.Keys.ToList();
        for (var s = 0; s < numbers.Count;)
        {
            var e = s;
            while (e + 1 < numbers.Count && numbers[e + 1] == numbers[e] + 1) e++;
            xb.Append(CultureInfo.InvariantCulture, $"{numbers[s]} {e - s + 1}\n");
            for (var k = s; k <= e; k++) xb.Append(CultureInfo.InvariantCulture, $"{offsets[numbers[k]]:D10} 00000 n \n");
            s = e + 1;
        }
        xb.Append(CultureInfo.InvariantCulture, $"trailer\n<</Size {last + 1}\n/Root {root} 0 R\n/Info {info}\n/ID {id}\n/Prev {prev}>>\nstartxref\n{xref}\n%%EOF\n");
        Write(xb.ToString());
        return ms.ToArray();
    }

    private static string Field(string trailer, string pattern)
    {
        var m = Regex.Match(trailer, pattern);
        if (!m.Success) throw new InvalidDataException($"PDF trailer lacks {pattern}; cannot add an outline.");
        return m.Groups[1].Value;
    }

    /// <summary>A PDF text string: UTF-16BE with byte-order mark, hex-encoded (any Unicode title survives).</summary>
    private static string TextString(string s)
    {
        var sb = new StringBuilder("<FEFF");
        foreach (var b in Encoding.BigEndianUnicode.GetBytes(s)) sb.Append(b.ToString("X2", CultureInfo.InvariantCulture));
        return sb.Append('>').ToString();
    }

    private static string Name(string s)
    {
        if (!ValidName().IsMatch(s)) throw new ArgumentException($"Destination '{s}' is not a plain PDF name (letters, digits, '-', '_').", nameof(s));
        return s;
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex Number();

    [GeneratedRegex(@"^[A-Za-z0-9_\-]+$")]
    private static partial Regex ValidName();
}
