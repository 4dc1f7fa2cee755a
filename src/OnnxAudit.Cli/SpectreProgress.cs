using System.Diagnostics;
using System.Globalization;
using OnnxAudit.Progress;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace OnnxAudit.Cli;

/// <summary>
/// The live terminal display of a run: one overall progress line (bar, percentage, elapsed time and ETA, current phase),
/// the current stage with its own percentage, and the last few result lines as plain text (never as bars). Every line
/// is cut to the terminal width, so nothing wraps at 80 columns. Use <see cref="Run"/>: it picks this display when the
/// console is interactive and plain lines (<see cref="ConsoleProgress"/>) otherwise, e.g. in CI or when output is piped.
/// Thread-safe.
/// </summary>
internal sealed class SpectreProgress : IAuditProgress
{
    private const int MessageLines = 4;
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _messages = [];
    private readonly Func<int> _width;
    private LiveDisplayContext? _live;
    private int _phase;
    private int _phases = 1;
    private string _phaseName = "starting";
    private string? _stage;
    private double _stageDone;
    private double _stageTotal = 1;
    private readonly OverallProgress _overall = new();

    private SpectreProgress(Func<int> width) => _width = width;

    /// <summary>Runs <paramref name="body"/> with the right progress sink for <paramref name="console"/>.</summary>
    public static T Run<T>(CliConsole console, Func<IAuditProgress, T> body)
    {
        if (!console.Interactive) return body(new ConsoleProgress(console.Error, interactive: false));
        var errorConsole = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(console.Error) });
        var sink = new SpectreProgress(() => errorConsole.Profile.Width);
        T result = default!;
        errorConsole.Live(sink.Render()).AutoClear(true).Overflow(VerticalOverflow.Ellipsis).Start(ctx =>
        {
            lock (sink._gate) sink._live = ctx;
            result = body(sink);
            lock (sink._gate) sink._live = null;
        });
        // why: the result lines stay readable after the live area is cleared; the summary table follows on stdout.
        foreach (var m in sink._messages) errorConsole.WriteLine(Cut(m, errorConsole.Profile.Width));
        return result;
    }

    public IProgressStage Start(string description, double total)
    {
        lock (_gate)
        {
            _stage = description;
            _stageDone = 0;
            _stageTotal = Math.Max(total, 1e-9);
            Refresh();
        }
        return new Stage(this);
    }

    public void Message(string text)
    {
        lock (_gate)
        {
            _messages.Add(text);
            Refresh();
        }
    }

    public void Phase(int index, int count, string name)
    {
        lock (_gate)
        {
            _phase = index;
            _phases = Math.Max(count, 1);
            _phaseName = name;
            _stage = null;
            _overall.Phase(index, count);
            Refresh();
        }
    }

    public void Step(int index, int count) => StepSpan(index / (double)Math.Max(count, 1), 1.0 / Math.Max(count, 1));

    public void StepSpan(double start, double width)
    {
        lock (_gate)
        {
            _overall.Step(start, width);
            _stage = null;
            Refresh();
        }
    }

    public void PhaseWeights(IReadOnlyList<double> weights)
    {
        lock (_gate)
        {
            _overall.SetWeights(weights);
            Refresh();
        }
    }

    /// <summary>Overall fraction done: finished phases (weighted by their expected cost) plus the current stage's share
    /// of the current step.</summary>
    internal double Overall => _overall.Fraction(_stage is null ? 0 : Math.Min(_stageDone / _stageTotal, 1));

    private long _lastRefresh = -1000;

    // why: attack loops advance thousands of times; redraw at most 10 times a second (phase changes and results at once).
    private void Refresh(bool force = true)
    {
        if (_live is null) return;
        var now = _clock.ElapsedMilliseconds;
        if (!force && now - _lastRefresh < 100) return;
        _lastRefresh = now;
        _live.UpdateTarget(Render());
    }

    private IRenderable Render()
    {
        var width = Math.Max(40, _width());
        var overall = Overall;
        var elapsed = _clock.Elapsed;
        var eta = overall > 0.02 ? Format(TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - overall) / overall)) : "--:--";
        var head = string.Create(CultureInfo.InvariantCulture, $"{overall * 100,3:F0}% {Format(elapsed)} ETA {eta}  ");
        var barWidth = Math.Clamp(width / 4, 10, 40);
        var filled = (int)Math.Round(overall * barWidth);
        var bar = new string('█', filled) + new string('░', barWidth - filled);
        var phase = string.Create(CultureInfo.InvariantCulture, $" {Math.Min(_phase + 1, _phases)}/{_phases} {_phaseName}");
        var lines = new List<IRenderable>
        {
            new Markup("[bold]" + Markup.Escape(bar) + "[/] " + Markup.Escape(Cut(head + phase, width - barWidth - 2))),
        };
        if (_stage is not null)
        {
            var pct = string.Create(CultureInfo.InvariantCulture, $"{Math.Min(_stageDone / _stageTotal, 1) * 100,3:F0}% ");
            lines.Add(new Markup("[grey]" + Markup.Escape(Cut("  " + pct + _stage, width - 1)) + "[/]"));
        }
        foreach (var m in _messages.TakeLast(MessageLines)) lines.Add(new Markup("[grey]" + Markup.Escape(Cut("  " + m, width - 1)) + "[/]"));
        return new Rows(lines);
    }

    /// <summary><paramref name="text"/> cut to <paramref name="width"/> characters with an ellipsis.</summary>
    internal static string Cut(string text, int width) =>
        text.Length <= width ? text : width <= 1 ? text[..Math.Max(width, 0)] : text[..(width - 1)] + "…";

    private static string Format(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes:00}:{t.Seconds:00}");

    private sealed class Stage(SpectreProgress owner) : IProgressStage
    {
        public void Advance(double steps = 1)
        {
            lock (owner._gate)
            {
                owner._stageDone += steps;
                owner.Refresh(force: false);
            }
        }

        public void Describe(string description)
        {
            lock (owner._gate)
            {
                owner._stage = description;
                owner.Refresh(force: false);
            }
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._stageDone = owner._stageTotal;
                owner.Refresh();
            }
        }
    }
}
