using Spectre.Console;

namespace OnnxAudit.Cli;

/// <summary>The CLI's two output streams. Tests pass string writers; the real program passes the
/// process's stdout/stderr. Tables and progress go through <see cref="Ansi"/>.</summary>
internal sealed class CliConsole
{
    public CliConsole(TextWriter stdout, TextWriter stderr, bool interactive)
    {
        Out = stdout;
        Error = stderr;
        Interactive = interactive;
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive) Ansi.Profile.Width = 160;
    }

    public TextWriter Out { get; }
    public TextWriter Error { get; }
    public bool Interactive { get; }
    public IAnsiConsole Ansi { get; }

    public static CliConsole FromProcess()
    {
        var interactive = !Console.IsOutputRedirected && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;
        return new CliConsole(Console.Out, Console.Error, interactive);
    }
}
