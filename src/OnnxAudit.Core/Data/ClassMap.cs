using System.Globalization;
using System.Text.Json;
using OnnxAudit.Errors;

namespace OnnxAudit.Data;

/// <summary>
/// Class maps: which class index each ImageFolder folder gets. Default is torchvision's ImageFolder convention (folder
/// names sorted ordinally → 0..K−1); a classes file (<c>--classes</c>) or the model's own class names override it.
/// Stateless and thread-safe.
/// </summary>
public static class ClassMap
{
    /// <summary>Where the default map comes from, as stated in reports.</summary>
    public const string SortedFolders = "sorted folder names (torchvision ImageFolder convention)";

    /// <summary>Reads a classes file: one class name per line in index order (blank lines ignored), or JSON — a list of
    /// names, or an object name → index (indices 0..K−1, each once).</summary>
    /// <exception cref="DataFormatException">Missing, empty, duplicate names, or bad JSON.</exception>
    public static IReadOnlyList<string> ReadNames(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        DataFiles.RequireFile(path, "a classes file (one class name per line, or a JSON list)");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new DataFormatException($"{path}: cannot be read ({e.Message}); check the path and permissions.", e);
        }
        List<string> names;
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('[') || trimmed.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                if (doc.RootElement.ValueKind == JsonValueKind.Array)
                {
                    names = doc.RootElement.EnumerateArray().Select(e => e.GetString() ?? "").ToList();
                }
                else
                {
                    var pairs = doc.RootElement.EnumerateObject().Select(p => (p.Name, Index: p.Value.GetInt32())).ToList();
                    names = new List<string>(new string[pairs.Count]);
                    foreach (var (name, index) in pairs)
                    {
                        if (index < 0 || index >= pairs.Count || names[index] is not null)
                            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                                $"{path}: class '{name}' has index {index} but the {pairs.Count} classes must use each index 0..{pairs.Count - 1} once; fix the index."));
                        names[index] = name;
                    }
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new DataFormatException($"{path}: not a valid JSON class list ({e.Message.ReplaceLineEndings(" ")}); use [\"name0\", \"name1\", …] or one name per line.", e);
            }
        }
        else
        {
            names = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        }
        if (names.Count == 0) throw new DataFormatException($"{path}: no class names; write one class name per line in index order.");
        var dup = names.GroupBy(Normalize).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new DataFormatException($"{path}: class '{dup.First()}' is listed twice; each class name must appear once.");
        if (names.Any(n => n.Length == 0)) throw new DataFormatException($"{path}: empty class name; give every class a name.");
        return names;
    }

    /// <summary>
    /// The class index of each folder (in <paramref name="folderNames"/> order, which is sorted), the class names by
    /// index and where the map came from.
    /// </summary>
    /// <exception cref="DataFormatException">A folder is not in the classes file.</exception>
    public static (int[] Index, IReadOnlyList<string> Names, string Source) ForFolders(IReadOnlyList<string> folderNames, string root,
        string? classesPath, IReadOnlyList<string>? modelNames)
    {
        ArgumentNullException.ThrowIfNull(folderNames);
        if (classesPath is not null)
        {
            var names = ReadNames(classesPath);
            var lookup = Lookup(names);
            var index = new int[folderNames.Count];
            for (var k = 0; k < folderNames.Count; k++)
            {
                if (!lookup.TryGetValue(Normalize(folderNames[k]), out index[k]))
                    throw new DataFormatException($"{Path.Combine(root, folderNames[k])}: folder '{folderNames[k]}' is not a class in {classesPath} ({string.Join(", ", names.Take(12))}{(names.Count > 12 ? ", …" : "")}); rename the folder or add the class to the file.");
            }
            return (index, names, $"classes file {classesPath}");
        }
        if (modelNames is { Count: > 0 })
        {
            var lookup = Lookup(modelNames);
            var index = new int[folderNames.Count];
            if (folderNames.All(f => lookup.ContainsKey(Normalize(f))))
            {
                for (var k = 0; k < folderNames.Count; k++) index[k] = lookup[Normalize(folderNames[k])];
                return (index, modelNames, "the model's class names (metadata_props)");
            }
        }
        return (Enumerable.Range(0, folderNames.Count).ToArray(), folderNames.ToArray(), SortedFolders);
    }

    // why: folder names cannot hold '/', so "T-shirt/top" is stored as "T-shirt_top"; match case-insensitively with
    // '/', ' ' and '-' treated as '_'.
    internal static string Normalize(string name) =>
        new string(name.Trim().ToLowerInvariant().Select(ch => ch is '/' or ' ' or '-' or '\\' ? '_' : ch).ToArray());

    private static Dictionary<string, int> Lookup(IReadOnlyList<string> names)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++) d.TryAdd(Normalize(names[i]), i);
        return d;
    }
}
