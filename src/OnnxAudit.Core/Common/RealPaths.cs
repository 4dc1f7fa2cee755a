namespace OnnxAudit.Common;

/// <summary>Resolves symbolic links in a path without following loops forever (at most 40 hops). Stateless.</summary>
internal static class RealPaths
{
    /// <summary>The absolute path with every symbolic link resolved (like POSIX realpath), for paths
    /// that exist; components that do not exist are kept as they are.</summary>
    public static string Resolve(string fullPath)
    {
        var pending = new Stack<string>();
        var root = Path.GetPathRoot(fullPath) ?? "/";
        foreach (var part in fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
            pending.Push(part);
        var current = root;
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }
            var next = Path.Combine(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++hops > 40) throw new IOException($"too many levels of symbolic links at {next}");
            var resolved = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
            var rroot = Path.GetPathRoot(resolved) ?? root;
            foreach (var p in resolved[rroot.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
                pending.Push(p);
            current = rroot;
        }
        return current;
    }
}
