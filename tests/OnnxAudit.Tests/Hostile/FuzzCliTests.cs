using System.Diagnostics;
using System.Globalization;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Imaging;
using OnnxAudit.Tests.Cli;
using OnnxAudit.Tests.TestUtil;
using Xunit.Abstractions;

namespace OnnxAudit.Tests.Hostile;

/// <summary>
/// Seeded, in-process fuzzing of the CLI's options (random values and combinations through the CLI entry point) and of
/// image folders (corrupt PNG/JPEG, zero-byte files, huge declared dimensions, wrong channels, symbolic links to
/// devices, loops and outside folders). A CLI case must exit 0/1 (accepted) or 2 with a one-line error that ends with a
/// fix (or the usage hint for a parse error), never 3; an image-folder case must load or throw an
/// <see cref="OnnxAuditException"/> with one line and a fix; each case within 2 s and 256 MB of managed allocation.
/// </summary>
public sealed class FuzzCliTests(ITestOutputHelper output)
{
    private const int Seed = 1515;
    private const int CliCases = 120;
    private const int FolderCases = 200;

    private static readonly string[] Ints = ["-3", "0", "1", "2", "3", "8", "100000", "2147483648", "-2147483649", "abc", "", " ", "1,,2", "NaN", "1e9", "٣", "0x10", new string('9', 400)];
    private static readonly string[] Texts = ["", " ", "none", "imagenet", "cifar10", "mnist", "0.5", "0.5,0.5", "0,0,0", "-1", "1e40", "NaN", "a,b", ",", "\u001b[31mred", new string('x', 3000), "cuda", "cpu", "gpu", "1,2,3,4", "6", "6,6", "0,0"];

    private sealed class Tally : FuzzTally
    {
        /// <summary>Runs one case; <paramref name="action"/> returns the outcome: 1 clean error, 2 accepted, or a failure text.</summary>
        public void Run(string category, string name, Func<(int Outcome, string? Failure)> action)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            var (outcome, failure) = action();
            clock.Stop();
            if (failure is not null) Failures.Add($"{category}/{name}: {failure}");
            Record(category, name, outcome, clock.Elapsed, GC.GetAllocatedBytesForCurrentThread() - before, () => action());
        }
    }

    private static bool OneLineWithFix(string m) => !m.TrimEnd().Contains('\n', StringComparison.Ordinal) && m.Contains("; ", StringComparison.Ordinal);

    [Fact]
    public void Fuzz_CliOptionsAndImageFolders_EndInSuccessOrOneLineError()
    {
        var rng = new Random(Seed);
        var dir = RepoPaths.NewTempDir();
        var model = HostileModels.Write(dir, "tiny.onnx", HostileModels.TinyConv());
        var data = Path.Combine(dir, "images");
        WriteFolder(data, 3, 4, (_, _) => Png(6, 6, 1, rng));
        File.WriteAllText(Path.Combine(dir, "classes.txt"), "a\nb\nc\n");
        var aFile = Path.Combine(dir, "a-file");
        File.WriteAllText(aFile, "x");
        var tally = new Tally();
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < CliCases; i++)
        {
            var args = CliArgs(rng, i, model, data, dir, aFile);
            tally.Run("cli-options", i.ToString(CultureInfo.InvariantCulture), () =>
            {
                var r = CliRunner.Run(args);
                var shown = string.Join(' ', args.Select(a => a.Length > 40 ? a[..40] + "…" : a));
                if (r.ExitCode is 0 or 1) return (2, null);
                if (r.ExitCode != 2) return (0, $"exit {r.ExitCode} for [{shown}]: {r.Stderr[..Math.Min(300, r.Stderr.Length)]}");
                var lines = r.Stderr.TrimEnd().Split('\n');
                var parseError = lines.Length >= 2 && lines[^1].StartsWith("Run 'onnx-audit --help'", StringComparison.Ordinal) && lines[..^1].All(l => l.StartsWith("error: ", StringComparison.Ordinal));
                if (!parseError && !(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal) && OneLineWithFix(lines[0])))
                    return (0, $"exit 2 without one line and a fix for [{shown}]: {r.Stderr[..Math.Min(300, r.Stderr.Length)]}");
                if (lines.Any(l => l.Length > 1000)) return (0, $"a {lines.Max(l => l.Length)}-character error line for [{shown}]");
                return (1, null);
            });
        }

        for (var i = 0; i < FolderCases; i++)
        {
            var folder = Path.Combine(dir, "f" + i.ToString(CultureInfo.InvariantCulture));
            var kind = i % 8;
            HostileFolder(folder, kind, rng, dir);
            tally.Run("image-folders", $"{i}-{kind}", () =>
            {
                try
                {
                    DatasetLoader.Load(folder);
                    return (2, null);
                }
                catch (OnnxAuditException ex)
                {
                    return OneLineWithFix(ex.Message) ? (1, null) : (1, $"message is not one line with a fix: {ex.Message[..Math.Min(300, ex.Message.Length)]}");
                }
                catch (Exception ex)
                {
                    return (0, $"internal error {ex.GetType().Name}: {ex.Message[..Math.Min(300, ex.Message.Length)]}");
                }
            });
            Directory.Delete(folder, recursive: true);
        }
        clock.Stop();

        var total = tally.ByCategory.Values.Sum(v => v.Cases);
        foreach (var (cat, (cases, clean, accepted)) in tally.ByCategory.OrderBy(p => p.Key, StringComparer.Ordinal))
            output.WriteLine($"{cat}: {cases} cases, {clean} clean errors, {accepted} accepted, {cases - clean - accepted} failures");
        output.WriteLine($"total {total} cases in {clock.Elapsed.TotalSeconds:0.0} s; slowest case {tally.MaxTime.TotalMilliseconds:0} ms; most allocated by one case {tally.MaxAllocated >> 20} MB; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 >> 20} MB");
        Assert.True(tally.Failures.Count == 0, string.Join("\n", tally.Failures.Take(20)));
        // both outcomes occur: the fuzz reaches past validation, and validation refuses something
        Assert.All(tally.ByCategory.Values, v => Assert.True(v.Clean > 0 && v.Accepted > 0, $"{v}"));
    }

    private static string Pick(Random rng, string[] pool) => pool[rng.Next(pool.Length)];

    private static string[] CliArgs(Random rng, int i, string model, string data, string dir, string aFile)
    {
        var outDir = rng.Next(6) switch
        {
            0 => "",
            1 => "/proc/onnx-audit-fuzz",
            2 => aFile,
            3 => Path.Combine(aFile, "under"),
            4 => model,
            _ => Path.Combine(dir, "out" + i.ToString(CultureInfo.InvariantCulture)),
        };
        var args = new List<string>();
        switch (i % 4)
        {
            case 0 or 1:
                args.AddRange(["inspect", rng.Next(10) == 0 ? Pick(rng, Texts) : model]);
                if (rng.Next(2) == 0) args.AddRange(["--batch-size", Pick(rng, Ints)]);
                if (rng.Next(3) == 0) args.Add("--json");
                break;
            case 2:
                args.AddRange(["gradient", model, "--data", rng.Next(8) == 0 ? Pick(rng, Texts) : data, "-o", outDir]);
                if (rng.Next(2) == 0) args.AddRange(["--batch-size", Pick(rng, Ints)]);
                if (rng.Next(3) == 0) args.AddRange(["--indices", Pick(rng, Ints)]);
                if (rng.Next(3) == 0) args.AddRange(["--seed", Pick(rng, Ints)]);
                if (rng.Next(4) == 0) args.AddRange(["--resize", Pick(rng, Ints)]);
                if (rng.Next(4) == 0) args.AddRange(["--center-crop", Pick(rng, Texts)]);
                if (rng.Next(4) == 0) args.AddRange(["--channels", Pick(rng, Ints)]);
                if (rng.Next(4) == 0) args.AddRange(["--normalize", Pick(rng, Texts)]);
                if (rng.Next(5) == 0) args.AddRange(["--mean", Pick(rng, Texts), "--std", Pick(rng, Texts)]);
                if (rng.Next(5) == 0) args.AddRange(["--classes", rng.Next(2) == 0 ? Path.Combine(dir, "classes.txt") : Pick(rng, Texts)]);
                break;
            default:
                // options shared by every verb, and unknown or repeated ones
                args.AddRange(["inspect", model]);
                if (rng.Next(2) == 0) args.AddRange(["--device", Pick(rng, Texts)]);
                if (rng.Next(2) == 0) args.AddRange(["--threads", Pick(rng, Ints)]);
                if (rng.Next(2) == 0) args.AddRange(["--max-memory", rng.Next(2) == 0 ? Pick(rng, Ints) : Pick(rng, ["64M", "1G", "10T", "0K", "128m", "4g", "1.5G", "-1M", "G"])]);
                if (rng.Next(4) == 0) args.Add(Pick(rng, ["--bogus", "--json", "-b", "--threads", "--", "-"]));
                break;
        }
        return [.. args];
    }

    private static byte[] Png(int w, int h, int channels, Random rng)
    {
        var pixels = new byte[w * h * channels];
        rng.NextBytes(pixels);
        return PngWriter.Encode(pixels, w, h, channels);
    }

    private static void WriteFolder(string folder, int classes, int perClass, Func<int, int, byte[]> image, string ext = ".png")
    {
        for (var c = 0; c < classes; c++)
        {
            var sub = Path.Combine(folder, ((char)('a' + c)).ToString());
            Directory.CreateDirectory(sub);
            for (var k = 0; k < perClass; k++) File.WriteAllBytes(Path.Combine(sub, $"{k}{ext}"), image(c, k));
        }
    }

    /// <summary>A PNG whose IHDR declares <paramref name="w"/>×<paramref name="h"/> (CRC fixed) over a tiny image's data.</summary>
    private static byte[] PngDeclaring(uint w, uint h, Random rng)
    {
        var png = Png(4, 4, 1, rng);
        // signature (8) + length (4) + "IHDR" (4): width at 16, height at 20, CRC after the 13 data bytes at 29
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), w);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), h);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        return png;
    }

    // PNG's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), bit by bit: only a few short chunks are hashed.
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var b = (byte[])seed.Clone();
        var edits = rng.Next(1, 6);
        for (var e = 0; e < edits; e++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
        return rng.Next(4) == 0 ? b[..rng.Next(1, b.Length)] : b;
    }

    private static void HostileFolder(string folder, int kind, Random rng, string dir)
    {
        var jpegSeed = File.ReadAllBytes(Directory.GetFiles(Path.Combine(RepoPaths.Samples, "fashion-mnist-jpeg"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First());
        switch (kind)
        {
            case 0: WriteFolder(folder, 2, 3, (_, _) => Mutate(Png(6, 6, 1, rng), rng)); break;
            case 1: WriteFolder(folder, 2, 3, (_, _) => Mutate(jpegSeed, rng), ".jpg"); break;
            case 2: WriteFolder(folder, 2, 3, (c, k) => c == 0 && k == 0 ? [] : Png(6, 6, 1, rng)); break;
            case 3: WriteFolder(folder, 2, 2, (_, k) => k == 0 ? PngDeclaring((uint)rng.Next(1 << 16, int.MaxValue), (uint)rng.Next(1 << 16, int.MaxValue), rng) : Png(6, 6, 1, rng)); break;
            case 4: WriteFolder(folder, 2, 3, (c, k) => Png(6, 6, rng.Next(2) == 0 ? 1 : 3, rng)); break;
            case 5: WriteFolder(folder, 2, 3, (_, _) => Png(rng.Next(1, 9), rng.Next(1, 9), 1, rng)); break;
            case 6:
                WriteFolder(folder, 2, 2, (_, _) => Png(6, 6, 1, rng));
                var sub = Path.Combine(folder, "a");
                switch (rng.Next(4))
                {
                    case 0: File.CreateSymbolicLink(Path.Combine(sub, "dev.png"), "/dev/zero"); break;
                    case 1:
                        File.CreateSymbolicLink(Path.Combine(sub, "loop1.png"), Path.Combine(sub, "loop2.png"));
                        File.CreateSymbolicLink(Path.Combine(sub, "loop2.png"), Path.Combine(sub, "loop1.png"));
                        break;
                    case 2: Directory.CreateSymbolicLink(Path.Combine(folder, "c"), dir); break;
                    default: File.CreateSymbolicLink(Path.Combine(sub, "gone.png"), Path.Combine(dir, "does-not-exist.png")); break;
                }
                break;
            default:
                // names and layout: an empty class folder, stray files, odd names
                Directory.CreateDirectory(Path.Combine(folder, "empty"));
                WriteFolder(folder, 1, 2, (_, _) => Png(6, 6, 1, rng));
                File.WriteAllBytes(Path.Combine(folder, rng.Next(2) == 0 ? "stray.png" : "\u001b[31m.png"), Png(6, 6, 1, rng));
                break;
        }
    }
}
