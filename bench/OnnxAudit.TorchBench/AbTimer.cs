using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace OnnxAudit.TorchBench;

/// <summary>
/// Interleaved A/B(/C) timing: blocks of <c>reps</c> calls per side, the side order rotating every block, each call
/// timed by the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID: immune to preemption by other jobs on a shared
/// machine) and by wall clock. Both ONNX Runtime (1 intra-op thread) and LibTorch (set_num_threads(1)) compute on the
/// calling thread, so thread-CPU time is the whole cost of a call.
/// </summary>
internal static class AbTimer
{
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Sec;
        public long Nsec;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec ts);

    /// <summary>The calling thread's CPU time in ms.</summary>
    public static double ThreadCpuMs()
    {
        if (ClockGetTime(3, out var ts) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return ts.Sec * 1e3 + ts.Nsec / 1e6;
    }

    public sealed record Side(string Name, List<double> Cpu, List<double> Wall)
    {
        public double CpuMedian => Quantile(Cpu, 0.5);
        public double WallP10 => Quantile(Wall, 0.1);
    }

    /// <summary>Runs <paramref name="blocks"/> rounds; each call of a side is one unit of work (per-call times are
    /// divided by <paramref name="unitsPerCall"/>).</summary>
    public static Side[] Run(int blocks, int reps, int unitsPerCall, params (string Name, Action Call)[] sides)
    {
        var res = sides.Select(s => new Side(s.Name, [], [])).ToArray();
        foreach (var s in sides) s.Call(); // warm-up
        var sw = new Stopwatch();
        for (var b = 0; b < blocks; b++)
        {
            for (var j = 0; j < sides.Length; j++)
            {
                var k = (j + b) % sides.Length;
                for (var r = 0; r < reps; r++)
                {
                    var c0 = ThreadCpuMs();
                    sw.Restart();
                    sides[k].Call();
                    var wall = sw.Elapsed.TotalMilliseconds;
                    res[k].Cpu.Add((ThreadCpuMs() - c0) / unitsPerCall);
                    res[k].Wall.Add(wall / unitsPerCall);
                }
            }
        }
        return res;
    }

    public static double Quantile(List<double> v, double q)
    {
        var s = v.OrderBy(x => x).ToArray();
        return s[(int)Math.Clamp(Math.Round(q * (s.Length - 1)), 0, s.Length - 1)];
    }

    /// <summary>One result line: case, then per side "name cpu_ms wall_p10_ms", then ours ÷ LibTorch (cpu, wall p10).</summary>
    public static string Line(string what, Side[] s, string check)
    {
        var ours = s[0];
        var torch = s.First(x => x.Name == "libtorch");
        var parts = string.Join(" ", s.Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Name} {x.CpuMedian:F3}/{x.WallP10:F3}")));
        var extra = string.Concat(s.Skip(2).Select(x => string.Create(CultureInfo.InvariantCulture,
            $" | {x.Name}÷libtorch {x.CpuMedian / torch.CpuMedian:F2} (ours÷{x.Name} cpu {ours.CpuMedian / x.CpuMedian:F3} wall-p10 {ours.WallP10 / x.WallP10:F3})")));
        return string.Create(CultureInfo.InvariantCulture,
            $"{what} | ms cpu/wall-p10: {parts} | ours÷libtorch cpu {ours.CpuMedian / torch.CpuMedian:F2} wall-p10 {ours.WallP10 / torch.WallP10:F2}{extra} | {check}");
    }
}
