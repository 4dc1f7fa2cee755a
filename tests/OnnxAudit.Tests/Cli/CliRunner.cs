using OnnxAudit.Cli;

namespace OnnxAudit.Tests.Cli;

/// <summary>Runs the CLI in-process with captured output.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = CliApp.Run(args, new CliConsole(stdout, stderr, interactive: false));
        return new Result(code, stdout.ToString(), stderr.ToString());
    }
}
