namespace OnnxAudit.Progress;

/// <summary>
/// The overall fraction done of a run made of phases (one per auditor) with expected relative costs, each made of
/// steps (e.g. one per split point and attack) that cover a stated share of their phase. Used by the terminal display
/// for its bar and ETA: with equal phase weights the ETA was wrong by an order of magnitude during split inversion,
/// which is 93–99.7 % of a report's time (issue 16). Not thread-safe (callers lock).
/// </summary>
public sealed class OverallProgress
{
    private double[] _weights = [];
    private int _phase;
    private int _phases = 1;
    private double _stepStart;
    private double _stepWidth = 1;

    /// <summary>Sets the expected relative cost of each phase (any positive unit); ignored unless it has one weight per phase.</summary>
    public void SetWeights(IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        _weights = weights.Select(w => double.IsFinite(w) && w > 0 ? w : 0).ToArray();
    }

    /// <summary>Starts phase <paramref name="index"/> of <paramref name="count"/> (index = count: all done).</summary>
    public void Phase(int index, int count)
    {
        _phase = index;
        _phases = Math.Max(count, 1);
        _stepStart = 0;
        _stepWidth = 1;
    }

    /// <summary>Within the current phase: the current step starts at fraction <paramref name="start"/> of the phase and
    /// covers <paramref name="width"/> of it.</summary>
    public void Step(double start, double width)
    {
        _stepStart = Math.Clamp(start, 0, 1);
        _stepWidth = Math.Clamp(width, 0, 1 - _stepStart);
    }

    /// <summary>The overall fraction done when the current step's running stage is <paramref name="stageFraction"/> done.</summary>
    public double Fraction(double stageFraction)
    {
        var w = _weights.Length == _phases && _weights.Sum() > 0 ? _weights : Enumerable.Repeat(1.0, _phases).ToArray();
        var total = w.Sum();
        var done = w.Take(Math.Min(_phase, _phases)).Sum();
        if (_phase < _phases) done += w[_phase] * (_stepStart + _stepWidth * Math.Clamp(stageFraction, 0, 1));
        return Math.Clamp(done / total, 0, 1);
    }
}
