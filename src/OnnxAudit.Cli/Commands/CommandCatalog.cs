using System.CommandLine;

namespace OnnxAudit.Cli.Commands;

/// <summary>Every verb of the CLI, one class each.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> Create(CliConsole console)
    {
        yield return InspectCommand.Create(console);
        yield return ReportCommand.Create(console);
        yield return GradientCommand.Create(console);
        yield return SplitCommand.Create(console);
    }
}
