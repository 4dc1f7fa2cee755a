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
        return root;
    }

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

    private static int RunCore(string[] args, CliConsole console)
    {
        try
        {
            var root = BuildRoot(console);
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var error in parse.Errors) console.Error.WriteLine($"error: {error.Message}");
                console.Error.WriteLine("Run 'onnx-audit --help' (or 'onnx-audit <command> --help') for usage.");
                return ExitCodes.BadInput;
            }
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
