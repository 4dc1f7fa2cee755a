using System.Text.RegularExpressions;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests;

/// <summary>
/// The stage order of DESIGN.md: Common ← Onnx ← Graph ← Runtime ← Autodiff ← Audits ← Reporting ← Pipeline (← Cli);
/// Data, Imaging and Metrics are leaves (they use Common only; Data may also use Imaging to decode image files). A folder of OnnxAudit.Core may use Common, the leaves
/// and the stages before it, never a later stage. The source is scanned for <c>using OnnxAudit.X</c> and for qualified
/// names <c>X.Type</c> / <c>OnnxAudit.X.Type</c> where Type is a type of that namespace (comments aside).
/// </summary>
public sealed partial class DependencyDirectionTests
{
    private static readonly string[] Stages = ["Onnx", "Graph", "Runtime", "Autodiff", "Audits", "Reporting", "Pipeline"];
    private static readonly HashSet<string> Common = ["Common", "Errors", "Progress"];
    private static readonly HashSet<string> Leaves = ["Data", "Imaging", "Metrics"];

    // why: Data decodes image folders with Imaging (SkiaSharp); Imaging itself uses Common only, so no cycle can form.
    private static readonly HashSet<(string From, string To)> LeafUses = [("Data", "Imaging")];

    private static string CoreRoot => Path.Combine(RepoPaths.Root, "src", "OnnxAudit.Core");

    private static readonly Lazy<Dictionary<string, HashSet<string>>> TypesByFolder = new(() =>
        typeof(OnnxAudit.Onnx.OnnxModel).Assembly.GetTypes()
            .Where(t => t.Namespace is not null && t.Namespace.StartsWith("OnnxAudit.", StringComparison.Ordinal))
            .GroupBy(t => t.Namespace!.Split('.')[1])
            .ToDictionary(g => g.Key, g => g.Select(t => t.Name.Split('`')[0]).ToHashSet(StringComparer.Ordinal)));

    /// <summary>May a file in folder <paramref name="from"/> use folder <paramref name="to"/>?</summary>
    internal static bool Allowed(string from, string to)
    {
        if (from == to || Common.Contains(to)) return true;
        if (Common.Contains(from)) return false;
        if (LeafUses.Contains((from, to))) return true;
        if (Leaves.Contains(from)) return false;
        if (Leaves.Contains(to)) return true;
        var f = Array.IndexOf(Stages, from);
        var t = Array.IndexOf(Stages, to);
        return f >= 0 && t >= 0 && t < f;
    }

    [GeneratedRegex(@"^\s*using\s+(?:static\s+)?OnnxAudit\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex UsingPattern();

    [GeneratedRegex(@"(?<![\w.])(?:global::)?(?:OnnxAudit\.)?(\w+)\.(\w+)")]
    private static partial Regex QualifiedPattern();

    [GeneratedRegex(@"//.*$", RegexOptions.Multiline)]
    private static partial Regex CommentPattern();

    private static IEnumerable<(string File, string From, string To)> References()
    {
        var folders = TypesByFolder.Value;
        foreach (var file in Directory.EnumerateFiles(CoreRoot, "*.cs", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(CoreRoot, file);
            var from = rel.Split(Path.DirectorySeparatorChar)[0];
            if (from is "obj" or "bin" || !folders.ContainsKey(from)) continue;
            // why: comments may name later stages ("built by Autodiff.GradientGraphBuilder") without depending on them.
            var text = CommentPattern().Replace(File.ReadAllText(file), "");
            var found = new HashSet<string>(StringComparer.Ordinal);
            foreach (Match m in UsingPattern().Matches(text)) found.Add(m.Groups[1].Value);
            foreach (Match m in QualifiedPattern().Matches(text))
                if (folders.TryGetValue(m.Groups[1].Value, out var types) && types.Contains(m.Groups[2].Value)) found.Add(m.Groups[1].Value);
            foreach (var to in found) yield return (rel, from, to);
        }
    }

    [Fact]
    public void CoreFolders_UseOnlyEarlierStagesCommonAndLeaves()
    {
        var violations = References()
            .Where(r => !Allowed(r.From, r.To))
            .Select(r => $"{r.File}: {r.From} uses {r.To}")
            .Distinct().Order().ToList();

        Assert.True(violations.Count == 0, "dependency direction violated:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void OnnxRuntime_IsImportedOnlyUnderRuntime()
    {
        var offenders = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => f.StartsWith(Path.Combine(RepoPaths.Root, "src", "OnnxAudit.Core") + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                     || f.StartsWith(Path.Combine(RepoPaths.Root, "src", "OnnxAudit.Cli") + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Where(f => !f.StartsWith(Path.Combine(CoreRoot, "Runtime") + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(RepoPaths.Root, f)).ToList();

        Assert.True(offenders.Count == 0, "ONNX Runtime used outside Runtime/: " + string.Join(", ", offenders));
    }

    [Theory]
    [InlineData("Audits", "Runtime", true)]
    [InlineData("Runtime", "Autodiff", false)]
    [InlineData("Graph", "Runtime", false)]
    [InlineData("Audits", "Reporting", false)]
    [InlineData("Reporting", "Audits", true)]
    [InlineData("Data", "Imaging", true)]
    [InlineData("Imaging", "Data", false)]
    [InlineData("Metrics", "Errors", true)]
    [InlineData("Pipeline", "Data", true)]
    public void Allowed_FollowsDesignOrder(string from, string to, bool expected) => Assert.Equal(expected, Allowed(from, to));
}
