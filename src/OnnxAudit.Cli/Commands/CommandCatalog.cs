using System.CommandLine;

namespace OnnxAudit.Cli.Commands;

/// <summary>Every verb of the CLI, one class each.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> Create(CliConsole console)
    {
        yield return InspectCommand.Create(console);
        yield return ReportCommand.Create(console);
        yield return InitCommand.Create(console);
        yield return GradientCommand.Create(console);
        yield return ExclusivityCommand.Create(console);
        yield return AttackCommand.Create(console);
        yield return HardenCommand.Create(console);
        yield return RConvCommand.Create(console);
        yield return SplitCommand.Create(console);
    }
}
