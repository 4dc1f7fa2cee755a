using System.Diagnostics;

namespace OnnxAudit.Tests.Hostile;

/// <summary>The per-category counts and the per-case time and memory bounds shared by the fuzz tests.</summary>
internal class FuzzTally
{
    /// <summary>A case's wall-clock bound.</summary>
    public static readonly TimeSpan PerCase = TimeSpan.FromSeconds(2);

    /// <summary>A case's allocation bound (bytes allocated on the test's thread).</summary>
    public const long PerCaseBytes = 256L << 20;

    public readonly Dictionary<string, (int Cases, int Clean, int Accepted)> ByCategory = [];
    public readonly List<string> Failures = [];
    public long MaxAllocated;
    public TimeSpan MaxTime;

    /// <summary>Records one case: <paramref name="outcome"/> 1 = clean error, 2 = accepted, else neither; checks the bounds.
    /// <paramref name="rerun"/> runs the case again (its outcome ignored) when the first run is over the time bound.</summary>
    protected void Record(string category, string name, int outcome, TimeSpan elapsed, long allocated, Action rerun)
    {
        MaxAllocated = Math.Max(MaxAllocated, allocated);
        if (elapsed > MaxTime) MaxTime = elapsed;
        // why: on a loaded machine (other jobs on both cores) a case can be preempted past the bound; a case over it is
        // timed once more and fails only when the second run is over it too (a hang or a real slow path is over it twice).
        if (elapsed > PerCase)
        {
            var second = Retime(rerun);
            if (second > PerCase) Failures.Add($"{category}/{name}: took {elapsed.TotalSeconds:0.0} s and {second.TotalSeconds:0.0} s (limit {PerCase.TotalSeconds} s)");
        }
        if (allocated > PerCaseBytes) Failures.Add($"{category}/{name}: allocated {allocated >> 20} MB (limit {PerCaseBytes >> 20} MB)");
        var (c, cl, a) = ByCategory.GetValueOrDefault(category);
        ByCategory[category] = (c + 1, cl + (outcome == 1 ? 1 : 0), a + (outcome == 2 ? 1 : 0));
    }

    private static TimeSpan Retime(Action action)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            action();
        }
        catch (Exception)
        {
            // the first run recorded the outcome; only the time matters here
        }
        return clock.Elapsed;
    }
}
