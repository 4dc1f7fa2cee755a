using OnnxAudit.Progress;
using Spectre.Console;

namespace OnnxAudit.Cli;

/// <summary>
/// Live Spectre.Console progress bars (description, bar, percentage, elapsed, remaining time) for terminals. Use
/// <see cref="Run"/>: it picks these bars when the console is interactive and plain lines
/// (<see cref="ConsoleProgress"/>) otherwise, e.g. in CI or when output is piped.
/// </summary>
internal sealed class SpectreProgress : IAuditProgress
{
    private readonly ProgressContext _context;
    private readonly Lock _gate = new();

    private SpectreProgress(ProgressContext context) => _context = context;

    /// <summary>Runs <paramref name="body"/> with the right progress sink for <paramref name="console"/>.</summary>
    public static T Run<T>(CliConsole console, Func<IAuditProgress, T> body)
    {
        if (!console.Interactive) return body(new ConsoleProgress(console.Error, interactive: false));
        var errorConsole = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(console.Error) });
        return errorConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx => body(new SpectreProgress(ctx)));
    }

    public IProgressStage Start(string description, double total)
    {
        lock (_gate) return new Stage(this, _context.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1e-9)));
    }

    public void Message(string text)
    {
        // why: inside a live display, plain writes would tear the bars; a finished zero-length task shows the line.
        lock (_gate)
        {
            var task = _context.AddTask("[grey]" + Markup.Escape(text) + "[/]", maxValue: 1);
            task.Value = 1;
            task.StopTask();
        }
    }

    private sealed class Stage(SpectreProgress owner, ProgressTask task) : IProgressStage
    {
        public void Advance(double steps = 1)
        {
            lock (owner._gate) task.Increment(steps);
        }

        public void Describe(string description)
        {
            lock (owner._gate) task.Description = Markup.Escape(description);
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                task.Value = task.MaxValue;
                task.StopTask();
            }
        }
    }
}
