using System.Collections.Concurrent;
using SkiaSharp;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>
/// The report's one sans-serif family in regular and bold, for the PDF and the charts. Font files are looked up in
/// the search directories (recursively) in the order DejaVu Sans, Liberation Sans; when none is found, the DejaVu Sans
/// subset embedded in this assembly (<c>Reporting/Fonts/*.ttf</c>, made by <c>tools/fonts/make_fallback_font.sh</c>)
/// is used. Typefaces are created from the bytes with <see cref="SKTypeface.FromData(SKData, int)"/> (no fontconfig).
/// Thread-safe: lookups, reads and typefaces are cached per face; cached typefaces live as long as the resolver.
/// </summary>
internal sealed class ReportFontResolver
{
    /// <summary>Face name of the regular weight.</summary>
    public const string RegularFace = "OnnxAuditSans-Regular";
    /// <summary>Face name of the bold weight.</summary>
    public const string BoldFace = "OnnxAuditSans-Bold";

    /// <summary>Default search directories on Linux.</summary>
    public static IReadOnlyList<string> DefaultSearchDirectories { get; } =
    [
        "/usr/share/fonts/truetype/dejavu",
        "/usr/share/fonts",
        "/usr/local/share/fonts",
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".fonts"),
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "fonts"),
    ];

    /// <summary>The process-wide resolver over <see cref="DefaultSearchDirectories"/>.</summary>
    public static ReportFontResolver Shared { get; } = new();

    private static readonly Dictionary<string, string[]> Candidates = new(StringComparer.Ordinal)
    {
        [RegularFace] = ["DejaVuSans.ttf", "LiberationSans-Regular.ttf"],
        [BoldFace] = ["DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"],
    };

    private static readonly Dictionary<string, string> EmbeddedNames = new(StringComparer.Ordinal)
    {
        [RegularFace] = "OnnxAudit.Fonts.DejaVuSans-Subset.ttf",
        [BoldFace] = "OnnxAudit.Fonts.DejaVuSans-Bold-Subset.ttf",
    };

    private readonly IReadOnlyList<string> _searchDirectories;
    private readonly ConcurrentDictionary<string, Lazy<(byte[] Bytes, string Source)>> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<SKTypeface>> _typefaces = new(StringComparer.Ordinal);

    /// <summary>A resolver searching <paramref name="searchDirectories"/> (missing ones are skipped).</summary>
    public ReportFontResolver(IReadOnlyList<string> searchDirectories) => _searchDirectories = searchDirectories;

    /// <summary>A resolver searching <see cref="DefaultSearchDirectories"/>.</summary>
    public ReportFontResolver() : this(DefaultSearchDirectories) { }

    /// <summary>The font file bytes of <paramref name="faceName"/>.</summary>
    public byte[] GetFont(string faceName) => Load(faceName).Bytes;

    /// <summary>Where the face's bytes came from: a file path, or "embedded:&lt;resource&gt;".</summary>
    public string SourceOf(string faceName) => Load(faceName).Source;

    /// <summary>The regular or bold typeface (cached; do not dispose).</summary>
    public SKTypeface Typeface(bool bold)
    {
        var face = bold ? BoldFace : RegularFace;
        return _typefaces.GetOrAdd(face, f => new Lazy<SKTypeface>(() =>
        {
            using var data = SKData.CreateCopy(GetFont(f));
            return SKTypeface.FromData(data)
                ?? throw new InvalidOperationException($"SkiaSharp cannot read the font {SourceOf(f)}; reinstall fonts-dejavu-core or remove the file.");
        })).Value;
    }

    /// <summary>
    /// A new typeface of the regular or bold face holding only the glyphs of <paramref name="codePoints"/> (see
    /// <see cref="FontSubsetter"/>); the caller owns and disposes it.
    /// </summary>
    public SKTypeface SubsetTypeface(bool bold, IReadOnlyCollection<int> codePoints)
    {
        var full = Typeface(bold);
        var glyphs = full.GetGlyphs(string.Concat(codePoints.Select(char.ConvertFromUtf32)));
        using var data = SKData.CreateCopy(FontSubsetter.Subset(GetFont(bold ? BoldFace : RegularFace), glyphs));
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"SkiaSharp cannot read the subset of {SourceOf(bold ? BoldFace : RegularFace)}.");
    }

    private (byte[] Bytes, string Source) Load(string faceName)
    {
        if (!Candidates.ContainsKey(faceName))
            throw new ArgumentException($"Unknown face '{faceName}': expected {RegularFace} or {BoldFace}.", nameof(faceName));
        return _cache.GetOrAdd(faceName, f => new Lazy<(byte[], string)>(() => LoadUncached(f))).Value;
    }

    private (byte[] Bytes, string Source) LoadUncached(string faceName)
    {
        foreach (var file in Candidates[faceName])
            foreach (var dir in _searchDirectories)
            {
                var path = FindFile(dir, file);
                if (path is not null) return (File.ReadAllBytes(path), path);
            }
        var resource = EmbeddedNames[faceName];
        using var s = typeof(ReportFontResolver).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded font resource '{resource}' is missing from OnnxAudit.Core; rebuild after running tools/fonts/make_fallback_font.sh.");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return (ms.ToArray(), "embedded:" + resource);
    }

    private static string? FindFile(string dir, string fileName)
    {
        if (!Directory.Exists(dir)) return null;
        try
        {
            var opts = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MatchCasing = MatchCasing.CaseInsensitive };
            return Directory.EnumerateFiles(dir, fileName, opts).Order(StringComparer.Ordinal).FirstOrDefault();
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
