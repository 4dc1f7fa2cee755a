using System.Text;
using System.Text.RegularExpressions;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Hostile;

/// <summary>Issue 15: every user-error message ends with a fix. Scans every <c>throw new …Exception("…")</c> of the
/// tool's own user-error types in src/ and requires the literal text (interpolation holes left out, <c>+</c>-joined
/// literals included) to have a fix clause after "; ". Messages of internal invariants start with "internal".</summary>
public sealed partial class MessageFixClauseTests
{
    [GeneratedRegex(@"new\s+(?:Errors\.)?(?:OnnxAuditException|ModelLoadException|DataFormatException|GradientBuildException)\(\s*")]
    private static partial Regex ThrowSite();

    /// <summary>The text of the string literal at <paramref name="i"/> outside interpolation holes, and the index after it;
    /// null when no literal starts there.</summary>
    internal static (string Text, int End)? Literal(string s, int i)
    {
        var interpolated = false;
        var verbatim = false;
        if (i < s.Length && s[i] == '$') { interpolated = true; i++; }
        if (i < s.Length && s[i] == '@') { verbatim = true; i++; }
        if (i >= s.Length || s[i] != '"') return null;
        i++;
        var text = new StringBuilder();
        var depth = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (depth == 0)
            {
                if (c == '\\' && !verbatim) { text.Append(s, i, Math.Min(2, s.Length - i)); i += 2; continue; }
                if (c == '"')
                {
                    if (verbatim && i + 1 < s.Length && s[i + 1] == '"') { i += 2; continue; }
                    return (text.ToString(), i + 1);
                }
                if (interpolated && c == '{')
                {
                    if (i + 1 < s.Length && s[i + 1] == '{') { text.Append('{'); i += 2; continue; }
                    depth = 1;
                    text.Append("{}");
                    i++;
                    continue;
                }
                text.Append(c);
                i++;
            }
            else
            {
                if (c == '"')
                {
                    // a literal nested in a hole, e.g. string.Join(", ", …)
                    var j = i + 1;
                    while (j < s.Length && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
                    i = j + 1;
                    continue;
                }
                if (c == '{') depth++;
                else if (c == '}') depth--;
                i++;
            }
        }
        return null;
    }

    private static IEnumerable<(string Where, string Text)> Messages()
    {
        var src = Path.Combine(RepoPaths.Root, "src");
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            var s = File.ReadAllText(file);
            foreach (Match m in ThrowSite().Matches(s))
            {
                var text = new StringBuilder();
                var lit = Literal(s, m.Index + m.Length);
                if (lit is null) continue; // built by a helper (e.g. MemoryBudget.Check), checked where it is built
                while (lit is { } l)
                {
                    text.Append(l.Text);
                    var k = l.End;
                    while (k < s.Length && char.IsWhiteSpace(s[k])) k++;
                    if (k >= s.Length || s[k] != '+') break;
                    k++;
                    while (k < s.Length && char.IsWhiteSpace(s[k])) k++;
                    lit = Literal(s, k);
                }
                var line = s.AsSpan(0, m.Index).Count('\n') + 1;
                yield return ($"{Path.GetRelativePath(RepoPaths.Root, file)}:{line}", text.ToString());
            }
        }
    }

    [Fact]
    public void EveryUserErrorMessage_HasAFixClause()
    {
        var all = Messages().ToList();
        Assert.True(all.Count > 150, $"only {all.Count} throw sites found; the scanner is broken");
        var missing = all.Where(m => !m.Text.StartsWith("internal", StringComparison.Ordinal) && !m.Text.Contains("; ", StringComparison.Ordinal))
            .Select(m => $"{m.Where}: {m.Text}").ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} message(s) without a fix clause:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void Scanner_ReadsInterpolatedAndJoinedLiterals()
    {
        const string code = "x = $\"{a}: shape ({string.Join(\", \", d)}) is bad\" + \"; pass another\";";
        var lit = Literal(code, 4);
        Assert.NotNull(lit);
        Assert.Equal("{}: shape ({}) is bad", lit.Value.Text);
        Assert.Equal("; pass another", Literal(code, code.IndexOf("\"; pass", StringComparison.Ordinal))!.Value.Text);
    }
}
