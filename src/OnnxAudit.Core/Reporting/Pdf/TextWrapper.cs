using System.Text.RegularExpressions;
using SkiaSharp;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>
/// Greedy word wrapper on <see cref="SKFont.MeasureText(string, SKPaint?)"/>: words move to the next
/// line when they do not fit; a single word wider than the line is broken at token boundaries (after '/', '_', '×', or a
/// '.' before a letter),
/// and only a piece without such a boundary that is still wider than the line (a hash) is broken by characters;
/// '\n' forces a break. Tables widen their columns to the widest piece first (<see cref="WidestPiece"/>).
/// </summary>
internal static partial class TextWrapper
{
    [GeneratedRegex(@"\n|[^\S\n]+|[^\s]+")]
    private static partial Regex Tokens();

    // why: "/conv1/Conv_output_0" and "6×28×28" may break after a separator, never inside a name or a number (issue 13);
    // a '.' before a letter separates too ("features.4.block.2.fc1" → "features.4." "block.2." "fc1"), a '.' in a number
    // ("0.017", "4.1") never does.
    [GeneratedRegex(@"(?:[^/_×.]|\.(?![A-Za-z]))+(?:[/_×]|\.(?=[A-Za-z]))*|(?:[/_×]|\.(?=[A-Za-z]))+")]
    private static partial Regex Pieces();

    /// <summary>The width of the widest piece of <paramref name="text"/> that the wrapper will not break (a word, or a
    /// part of a word between '/', '_' and '×').</summary>
    public static float WidestPiece(string text, SKFont font)
    {
        var widest = 0f;
        foreach (Match w in Tokens().Matches(text))
            foreach (Match p in Pieces().Matches(w.Value))
                widest = Math.Max(widest, PdfFonts.Measure(p.Value, font));
        return widest;
    }

    /// <summary>Wraps styled runs into lines no wider than <paramref name="maxWidth"/> points.</summary>
    public static List<PdfTextLine> Wrap(IEnumerable<(string Text, SKFont Font)> runs, float maxWidth)
    {
        var lines = new List<PdfTextLine>();
        var line = new PdfTextLine();
        (string Text, SKFont Font)? pendingSpace = null;

        void Push()
        {
            lines.Add(line);
            line = new PdfTextLine();
            pendingSpace = null;
        }

        void Append(string text, SKFont font, float width)
        {
            if (line.Chunks.Count > 0 && ReferenceEquals(line.Chunks[^1].Font, font))
                line.Chunks[^1] = (font, line.Chunks[^1].Text + text);
            else
                line.Chunks.Add((font, text));
            line.Width += width;
        }

        foreach (var (text, font) in runs)
        {
            foreach (Match m in Tokens().Matches(text))
            {
                var tok = m.Value;
                if (tok == "\n") { Push(); continue; }
                if (char.IsWhiteSpace(tok[0]))
                {
                    if (!line.IsEmpty) pendingSpace = (" ", font);
                    continue;
                }
                var w = PdfFonts.Measure(tok, font);
                var spaceW = pendingSpace is { } sp ? PdfFonts.Measure(sp.Text, sp.Font) : 0;
                if (!line.IsEmpty && line.Width + spaceW + w > maxWidth) { Push(); spaceW = 0; }
                if (pendingSpace is { } p) { Append(p.Text, p.Font, spaceW); pendingSpace = null; }
                if (w <= maxWidth || !line.IsEmpty && line.Width + w <= maxWidth)
                {
                    Append(tok, font, w);
                    continue;
                }
                // A word wider than a whole line: break it at token boundaries, then (a hash) by characters.
                foreach (Match pm in Pieces().Matches(tok))
                {
                    var piece0 = pm.Value;
                    var pw = PdfFonts.Measure(piece0, font);
                    if (!line.IsEmpty && line.Width + pw > maxWidth) Push();
                    if (pw <= maxWidth) { Append(piece0, font, pw); continue; }
                    BreakByCharacters(piece0, font);
                }
            }
        }
        if (!line.IsEmpty || lines.Count == 0) lines.Add(line);
        return lines;

        void BreakByCharacters(string tok, SKFont font)
        {
                var rest = tok;
                while (rest.Length > 0)
                {
                    var room = maxWidth - line.Width;
                    var n = FitPrefix(rest, font, room);
                    if (n == 0 && !line.IsEmpty) { Push(); continue; }
                    n = Math.Max(n, 1);
                    var piece = rest[..n];
                    Append(piece, font, PdfFonts.Measure(piece, font));
                    rest = rest[n..];
                    if (rest.Length > 0) Push();
                }
        }
    }

    /// <summary>Wraps plain text in one font.</summary>
    public static List<PdfTextLine> Wrap(string text, SKFont font, float maxWidth) =>
        Wrap([(text, font)], maxWidth);

    /// <summary>Cuts <paramref name="text"/> to fit <paramref name="maxWidth"/>, ending with "…" when cut.</summary>
    public static string Ellipsize(string text, SKFont font, float maxWidth)
    {
        if (PdfFonts.Measure(text, font) <= maxWidth) return text;
        var n = FitPrefix(text, font, maxWidth - PdfFonts.Measure("…", font));
        return text[..n] + "…";
    }

    private static int FitPrefix(string text, SKFont font, float maxWidth)
    {
        int lo = 0, hi = text.Length;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (PdfFonts.Measure(text[..mid], font) <= maxWidth) lo = mid; else hi = mid - 1;
        }
        return lo;
    }
}
