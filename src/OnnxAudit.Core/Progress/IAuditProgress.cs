namespace OnnxAudit.Progress;

/// <summary>
/// Receives progress from long-running stages (dataset passes, attack loops, training). Implementations
/// must be thread-safe. The CLI renders it as live bars on a terminal and as plain lines otherwise.
/// </summary>
public interface IAuditProgress
{
    /// <summary>Starts a stage of <paramref name="total"/> steps and returns its handle (dispose to finish it).</summary>
    IProgressStage Start(string description, double total);

    /// <summary>Reports a one-line message (a stage result, a warning).</summary>
    void Message(string text);

    /// <summary>Announces phase <paramref name="index"/> (0-based) of <paramref name="count"/> of the whole run (e.g. one per
    /// auditor), so that a sink can show one overall progress line with an ETA. Optional; the default does nothing.</summary>
    void Phase(int index, int count, string name) { }

    /// <summary>Within the current phase: step <paramref name="index"/> (0-based) of <paramref name="count"/> (e.g. one per
    /// split point and attack). Optional; the default does nothing.</summary>
    void Step(int index, int count) { }

    /// <summary>The expected relative cost of each phase announced with <see cref="Phase"/> (one per phase, any unit),
    /// so that an overall ETA weights them by cost instead of equally. Optional; the default does nothing.</summary>
    void PhaseWeights(IReadOnlyList<double> weights) { }

    /// <summary>Within the current phase: the next step starts at fraction <paramref name="start"/> of the phase's
    /// expected cost and covers <paramref name="width"/> of it (a weighted <see cref="Step"/>). Optional; the default
    /// does nothing.</summary>
    void StepSpan(double start, double width) { }
}

/// <summary>One running stage; dispose to mark it complete.</summary>
public interface IProgressStage : IDisposable
{
    /// <summary>Adds <paramref name="steps"/> to the completed count.</summary>
    void Advance(double steps = 1);

    /// <summary>Replaces the stage description (e.g. with a running metric).</summary>
    void Describe(string description);
}

/// <summary>Progress that goes nowhere (library callers that do not care, tests).</summary>
public sealed class NullProgress : IAuditProgress
{
    /// <summary>The shared instance.</summary>
    public static NullProgress Instance { get; } = new();

    /// <inheritdoc />
    public IProgressStage Start(string description, double total) => NullStage.Instance;

    /// <inheritdoc />
    public void Message(string text) { }

    private sealed class NullStage : IProgressStage
    {
        public static NullStage Instance { get; } = new();
        public void Advance(double steps = 1) { }
        public void Describe(string description) { }
        public void Dispose() { }
    }
}
