using System.Diagnostics;
using OnnxAudit.Progress;
using Spectre.Console;

namespace OnnxAudit.Cli;

/// <summary>
/// Progress for the CLI, written to stderr so that stdout stays clean for --json. On a terminal each stage
/// is a live line with a bar, percentage and ETA; otherwise (CI, pipes) plain lines at 0/25/50/75/100%.
/// </summary>
internal sealed class ConsoleProgress : IAuditProgress
{
    private readonly TextWriter _err;
    private readonly bool _interactive;
    private readonly Lock _gate = new();

    public ConsoleProgress(TextWriter stderr, bool interactive)
    {
        _err = stderr;
        _interactive = interactive;
    }

    public IProgressStage Start(string description, double total) => new Stage(this, description, total);

    public void Phase(int index, int count, string name) =>
        Message(index < count ? $"[{index + 1}/{count}] {name}" : $"[done] {name}");

    public void Message(string text)
    {
        lock (_gate)
        {
            if (_interactive) _err.Write("\r\u001b[2K");
            _err.WriteLine(text);
        }
    }

    private sealed class Stage : IProgressStage
    {
        private readonly ConsoleProgress _owner;
        private readonly double _total;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private string _description;
        private double _done;
        private int _lastQuarter = -1;
        private long _lastDrawMs = -1000;

        public Stage(ConsoleProgress owner, string description, double total)
        {
            _owner = owner;
            _description = description;
            _total = Math.Max(total, 1e-9);
            Draw(force: true);
        }

        public void Advance(double steps = 1)
        {
            _done += steps;
            Draw(force: false);
        }

        public void Describe(string description)
        {
            _description = description;
            Draw(force: false);
        }

        public void Dispose()
        {
            _done = _total;
            lock (_owner._gate)
            {
                if (_owner._interactive) _owner._err.Write("\r\u001b[2K");
                _owner._err.WriteLine($"{_description}: done in {Seconds(_clock.Elapsed.TotalSeconds)}");
            }
        }

        private void Draw(bool force)
        {
            var fraction = Math.Clamp(_done / _total, 0, 1);
            lock (_owner._gate)
            {
                if (_owner._interactive)
                {
                    var now = _clock.ElapsedMilliseconds;
                    if (!force && now - _lastDrawMs < 100) return;
                    _lastDrawMs = now;
                    const int width = 30;
                    var filled = (int)Math.Round(fraction * width);
                    var eta = fraction > 0.001 ? _clock.Elapsed.TotalSeconds * (1 - fraction) / fraction : double.NaN;
                    _owner._err.Write($"\r\u001b[2K{Markup.Remove(_description)} [{new string('#', filled)}{new string('-', width - filled)}] {fraction * 100,5:F1}%  ETA {Seconds(eta)}");
                }
                else
                {
                    var quarter = (int)Math.Floor(fraction * 4);
                    if (quarter == _lastQuarter || quarter >= 4) return;
                    _lastQuarter = quarter;
                    _owner._err.WriteLine($"{_description}: {quarter * 25}%");
                }
            }
        }

        private static string Seconds(double s) => double.IsFinite(s) ? (s < 60 ? $"{s:F1}s" : $"{(int)(s / 60)}m{(int)(s % 60):D2}s") : "--";
    }
}
