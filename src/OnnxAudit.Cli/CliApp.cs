using System.CommandLine;
using OnnxAudit.Cli.Commands;
using OnnxAudit.Errors;

namespace OnnxAudit.Cli;

/// <summary>Builds the command tree and runs it with the project's exit-code convention.</summary>
internal static class CliApp
{
    public static RootCommand BuildRoot(CliConsole console)
    {
        var root = new RootCommand(
            "onnx-audit: audits an ONNX image classifier for private-data leakage before deployment — federated gradient leakage " +
            "(neuron exclusivity, Pan et al. 2022), convolutional gradient leakage (R-CONV, Eltaras et al. 2024) and split-inference " +
            "inversion (He et al. 2019). " + ExitCodes.HelpText);
        foreach (var command in CommandCatalog.Create(console)) root.Add(command);
        root.Add(MaxMemory);
        return root;
    }

    /// <summary>--max-memory SIZE on every verb: the limit of what one input may make the tool allocate.</summary>
    internal static readonly Option<string?> MaxMemory = new(Common.MemoryBudget.Option)
    {
        Description = $"Memory limit for what one input may make the tool allocate (decoded data, tensors, declared shapes and intermediates), checked before allocating: bytes or a number with K, M, G or T (e.g. 4G). Default: {Common.MemoryBudget.Variable} if set, else half of the available memory.",
        Recursive = true,
    };

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public static int Run(string[] args, CliConsole console)
    {
        var code = RunCore(args, console);
        // why: a debug line to check that sessions and gradient graphs are built once per purpose, not once per batch.
        if (Environment.GetEnvironmentVariable("ONNX_AUDIT_COUNTS") is not null)
        {
            console.Error.WriteLine($"debug: {Runtime.RuntimeCounters.Sessions} ONNX Runtime sessions, {Runtime.RuntimeCounters.GradientGraphs} gradient graphs");
            foreach (var (origin, n) in Runtime.RuntimeCounters.SessionsByOrigin.OrderBy(p => p.Key, StringComparer.Ordinal))
                console.Error.WriteLine($"debug:   {n} × {origin}");
        }
        return code;
    }

    /// <summary>" (did you mean '--splits'?)" when the error names an unrecognised token close to a verb or option of the
    /// command being parsed; "" otherwise.</summary>
    internal static string DidYouMean(string message, ParseResult parse)
    {
        const string prefix = "Unrecognized command or argument '";
        if (!message.StartsWith(prefix, StringComparison.Ordinal) || !message.EndsWith("'.", StringComparison.Ordinal)) return "";
        var token = message[prefix.Length..^2];
        var command = parse.CommandResult.Command;
        var candidates = command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name))
            .Concat(command.Options.Concat(parse.RootCommandResult.Command.Options.Where(o => o.Recursive)).SelectMany(o => o.Aliases.Prepend(o.Name)))
            .Where(n => n.Length > 2 || !token.StartsWith("--", StringComparison.Ordinal)).Distinct().ToList();
        var best = candidates.Select(c => (Name: c, D: Distance(token, c))).OrderBy(x => x.D).ThenBy(x => x.Name.StartsWith(token, StringComparison.Ordinal) ? 0 : 1).ThenBy(x => x.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Name is not null && best.D <= Math.Max(1, Math.Min(3, token.Length / 3)) ? $" (did you mean '{best.Name}'?)" : "";
    }

    // Levenshtein distance, one row at a time.
    private static int Distance(string a, string b)
    {
        var prev = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var cur = new int[b.Length + 1];
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            prev = cur;
        }
        return prev[b.Length];
    }

    private static int RunCore(string[] args, CliConsole console)
    {
        try
        {
            var root = BuildRoot(console);
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var error in parse.Errors) console.Error.WriteLine($"error: {error.Message}{DidYouMean(error.Message, parse)}");
                console.Error.WriteLine("Run 'onnx-audit --help' (or 'onnx-audit <command> --help') for usage.");
                return ExitCodes.BadInput;
            }
            var maxMemory = parse.GetValue(MaxMemory);
            // why: the environment variable is validated up front too, so a bad value fails before any work.
            var limit = maxMemory is not null ? Common.MemoryBudget.Parse(maxMemory, Common.MemoryBudget.Option) : Common.MemoryBudget.Limit;
            using var scope = Common.MemoryBudget.Scope(limit);
            return parse.Invoke(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                Output = console.Out,
                Error = console.Error,
            });
        }
        catch (OnnxAuditException ex)
        {
            console.Error.WriteLine($"error: {OneLine(ex.Message)}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException)
        {
            console.Error.WriteLine("error: cancelled; nothing was written.");
            return ExitCodes.BadInput;
        }
        catch (Exception ex)
        {
            console.Error.WriteLine($"internal error: {ex.GetType().Name}: {OneLine(ex.Message)} — this is a bug in onnx-audit; please report it with the command line.");
            if (Environment.GetEnvironmentVariable("ONNX_AUDIT_DEBUG") is not null) console.Error.WriteLine(ex);
            return ExitCodes.InternalError;
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
