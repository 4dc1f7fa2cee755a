using OnnxAudit.Common;
using System.Diagnostics;
using System.Globalization;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;

namespace OnnxAudit.Audits.Federated;

/// <summary>
/// Federated gradient leakage for any classifier the gradient builder supports (issue 12; seeds/001 Table 2, Fig. 9,
/// §7.3): on randomly drawn victim batches of the deployment size, the averaged gradient is attacked with the analytic
/// attack where its conditions hold (Pan et al. B.1–B.3 on a ReLU head, the hybrid attack on CNNs, the single-Linear
/// head rule), Inverting Gradients and DLG (labels read from the gradient), then the defences are evaluated with the
/// Inverting attack on the same batches. Stateless; not thread-safe per model session.
/// </summary>
public static class FederatedLeakageAudit
{
    /// <summary>The verdict rule, as printed in the report.</summary>
    public static string Rule(double leakPsnr) => string.Create(CultureInfo.InvariantCulture,
        $"the strongest attack (highest mean PSNR over the audited batches) decides: mean PSNR ≥ {NumberText.G3(leakPsnr)} dB = the shared gradient leaks the training images at this batch size; below = no attack in this budget reconstructed them (not a proof of safety)");

    /// <summary>Runs the audit. <paramref name="images"/> is float32 NCHW in [0,1] with shape <paramref name="dims"/>; <paramref name="labels"/> one per image.</summary>
    public static FederatedAuditResult Run(OnnxModel model, float[] images, long[] dims, IReadOnlyList<long> labels, FederatedAuditOptions options, IAuditProgress progress)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        progress ??= NullProgress.Instance;
        var m = options.BatchSize;
        var n = (int)dims[0];
        if (m > n) throw new ArgumentException($"batch size {m} exceeds the {n} samples available", nameof(options));
        var sampleDims = dims[1..];
        var per = (int)sampleDims.Aggregate(1L, (a, b) => a * b);
        var rng = new Random(options.Seed);
        var batches = Enumerable.Range(0, options.Batches).Select(_ => Draw(rng, n, m, [])).ToList();
        FcnHead? head = null;
        try { head = FcnHead.Extract(model); } catch (Errors.OnnxAuditException) { }
        var runtime = options.Runtime;
        using var inversion = new GradientInversion(model, options.Inverting, options.Dlg, runtime);
        var parameters = inversion.Parameters;

        float[] Batch(int[] b) => [.. b.SelectMany(i => images.AsSpan(i * per, per).ToArray())];
        long[] Dims(int count) => [count, .. sampleDims];
        long[] Labels(int[] b) => [.. b.Select(i => labels[i])];
        // why: one first-order session for the audited model, reused for every victim and per-sample gradient (building one
        // per call cost ~2 s each on resnet18@64).
        using var first = GradientSessions.Create(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), parameters), runtime);
        IReadOnlyList<float[]> Observed(OnnxModel mdl, int[] b)
        {
            if (!ReferenceEquals(mdl, model))
                return [.. FederatedGradient.ComputeFor(mdl, Batch(b), Dims(b.Length), Labels(b), runtime, parameters).Parameters.Select(p => p.Values)];
            var run = first.Run(Batch(b), Dims(b.Length), Labels(b));
            return [.. parameters.Select(p => run.Gradient(p).ToArray())];
        }
        Dictionary<string, float[]> Dict(IReadOnlyList<float[]> g) => parameters.Zip(g).ToDictionary(t => t.First, t => t.Second, StringComparer.Ordinal);
        InferredLabels Infer(IReadOnlyList<float[]> g, int count) => head is null
            ? new InferredLabels(new long[count], count == 1 ? LabelMethod.Idlg : LabelMethod.BiasGradientMultiset, false)
            : LabelInference.Infer(head.Layers[^1], Dict(g), count);

        var originals = batches.Select(Batch).ToList();
        var truths = batches.Select(Labels).ToList();
        var observed = new List<IReadOnlyList<float[]>>();
        var inferred = new List<InferredLabels>();
        using (var st = progress.Start("federated: victim gradients", batches.Count))
        {
            foreach (var b in batches)
            {
                var g = Observed(model, b);
                observed.Add(g);
                inferred.Add(Infer(g, m));
                st.Advance();
            }
        }

        var sweep = options.SweepRuns > 0;
        string? sweepNote = null;
        if (options.SecondsBudget is { } budget && batches.Count > 0)
        {
            sweep = Plan(inversion, options, budget, observed[0], inferred[0].Labels, sweep);
            if (!sweep && options.SweepRuns > 0)
                sweepNote = string.Create(CultureInfo.InvariantCulture,
                    $"the DP-SGD sweep (σ where the noise-to-signal ratio is {NumberText.G3(DpSgdSweep.RhoLow)}–{NumberText.G3(DpSgdSweep.RhoHigh)}, and the noise floor) was not run: with its {DpSgdSweep.MaxRuns} extra runs per batch the planned Inverting run would be under {InvertingOptions.FirstLookIterations} iterations");
        }
        var attacks = new List<FederatedAttackOutcome>();
        if (options.Analytic) attacks.Add(Analytic(model, head, batches, originals, truths, observed, Dict, sampleDims, options, progress));
        if (inversion.Inverting is { } inv)
            attacks.Add(RunOptimisation("Inverting Gradients", inv.Describe(), batches, originals, truths, observed, inferred, sampleDims,
                (g, y) => inversion.RunInverting(g, y), progress));
        if (inversion.Dlg is { } dlg)
            attacks.Add(RunOptimisation("DLG", dlg.Describe(), batches, originals, truths, observed, inferred, sampleDims,
                (g, y) => inversion.RunDlg(g, y), progress));
        if (options.InvertingNotRun is { } invWhy) attacks.Add(new FederatedAttackOutcome("Inverting Gradients", "not run", [], [], 0, invWhy));
        if (options.DlgNotRun is { } dlgWhy) attacks.Add(new FederatedAttackOutcome("DLG", "not run", [], [], 0, dlgWhy));

        var headStats = head is { Layers.Count: 1, IsWholeModel: false } ? LinearHeadStats(model, head, batches.Select(Batch).ToList(), m, runtime) : null;

        var defences = new List<DefenceOutcome>();
        string? defenceNote = null;
        double floorPsnr = double.NaN, floorLabels = double.NaN;
        var invertingPsnr = attacks.FirstOrDefault(a => a.Attack == "Inverting Gradients")?.MeanPsnr ?? double.NaN;
        if (options.Inverting is null && options.InvertingNotRun is { } skipped)
            defenceNote = "defences not attacked: the Inverting attack that measures them was " + skipped;
        else if (options.Inverting is not null && options.DefencesOnlyWhenLeaking && !(invertingPsnr >= options.LeakPsnr))
            defenceNote = string.Create(CultureInfo.InvariantCulture,
                $"defences not attacked: the undefended Inverting attack already stays below {NumberText.G3(options.LeakPsnr)} dB at this budget ({invertingPsnr:F1} dB), so a defence could only be measured against a failing attack; the full run attacks them");
        else if (options.Inverting is not null)
        {
            var list = options.Defences ?? FederatedAuditOptions.PaperDefences;
            // why: DP-SGD's effect is set by ρ = σC√P / ‖Σ clip_C(g_m)‖ (DpSgdSweep), so the signal of every batch is measured
            // once: it gives each DP-SGD row its ρ and the sweep its σ values.
            var template = list.OfType<DpSgdDefence>().FirstOrDefault();
            var parameterCount = observed.Count > 0 ? observed[0].Sum(a => (long)a.Length) : 0;
            double[] signals = template is null ? [] : [.. batches.Select(b =>
                Math.Sqrt(GradientDefences.ClippedSum([.. b.Select(i => Observed(model, [i]))], template.Clip).Sum(a => a.Sum(v => v * v))))];
            if (sweep && template is not null)
            {
                // the noise floor first: the same noise draw with no signal under it, attacked with the same budget and restart seeds
                using (var fs = progress.Start("federated: DP-SGD noise floor", batches.Count))
                {
                    var fp = new List<double>();
                    var fa = new List<double>();
                    for (var k = 0; k < batches.Count; k++)
                    {
                        var noise = GradientDefences.NoiseOnly(template, observed[k], batches[k].Length);
                        var y = Infer(noise, batches[k].Length);
                        var sc = ReconstructionScore.Compute(originals[k], inversion.RunInverting(noise, y.Labels).Images, truths[k], y.Labels, sampleDims);
                        fp.Add(sc.MeanPsnr);
                        fa.Add(sc.LabelAccuracy);
                        fs.Advance();
                    }
                    floorPsnr = fp.Average();
                    floorLabels = fa.Average();
                }
                if (invertingPsnr >= floorPsnr + DpSgdSweep.MinimumGainDb)
                    list = DpSgdSweep.Merge(list, DpSgdSweep.TransitionSigmas(signals.Average(), parameterCount, template.Clip));
                else
                    sweepNote = string.Create(CultureInfo.InvariantCulture,
                        $"no σ rows added: the undefended Inverting attack ({invertingPsnr:F1} dB) is within {NumberText.G3(DpSgdSweep.MinimumGainDb)} dB of what it scores on the noise alone ({floorPsnr:F1} dB), so no σ can lower it measurably");
            }
            using var st = progress.Start("federated: defences", list.Count);
            foreach (var d in list)
            {
                var psnrs = new List<double>();
                var accs = new List<double>();
                var dist = new List<double>();
                var cos = new List<double>();
                var applicable = true;
                for (var k = 0; k < batches.Count; k++)
                {
                    var b = batches[k];
                    IReadOnlyList<float[]> shared;
                    int[] victims = b;
                    var target = model;
                    switch (d)
                    {
                        case LargerBatchDefence lb:
                            victims = Draw(new Random(options.Seed + 31 * k + 1), n, Math.Min(n, lb.Factor * m), b);
                            shared = Observed(model, victims);
                            break;
                        case ExclusivityReductionDefence:
                            if (head is null || head.Layers.Count < 2 || head.Layers[0].ReluOutput is null) { applicable = false; shared = observed[k]; break; }
                            target = ExclusivityHardening.RemoveFirstHeadRelu(model);
                            shared = Observed(target, b);
                            break;
                        default:
                            IReadOnlyList<IReadOnlyList<float[]>>? perSample = d.NeedsPerSample ? [.. b.Select(i => Observed(model, [i]))] : null;
                            shared = GradientDefences.Apply(d, observed[k], perSample);
                            break;
                    }
                    if (!applicable) break;
                    var sameUpdate = d is not (LargerBatchDefence or ExclusivityReductionDefence);
                    dist.Add(sameUpdate ? GradientDefences.Distortion(observed[k], shared) : 0);
                    cos.Add(sameUpdate ? GradientDefences.Cosine(observed[k], shared) : double.NaN);
                    var y = Infer(shared, victims.Length);
                    Reconstruction rec;
                    if (ReferenceEquals(target, model)) rec = inversion.RunInverting(shared, y.Labels);
                    else
                    {
                        using var hardened = new GradientInversion(target, inversion.Inverting, null, runtime);
                        rec = hardened.RunInverting(shared, y.Labels);
                    }
                    var sc = ReconstructionScore.Compute(Batch(victims), rec.Images, Labels(victims), y.Labels, sampleDims);
                    psnrs.Add(sc.MeanPsnr);
                    accs.Add(sc.LabelAccuracy);
                }
                st.Advance();
                if (!applicable) continue;
                var mean = psnrs.Average();
                defences.Add(new DefenceOutcome(d, mean, accs.Average(), dist.Average(), mean >= options.LeakPsnr)
                {
                    Cosine = cos.Average(),
                    NoiseToSignal = d is DpSgdDefence dp ? signals.Average(sg => DpSgdSweep.NoiseToSignal(dp.Sigma, dp.Clip, parameterCount, sg)) : double.NaN,
                });
            }
        }

        var strongest = attacks.Where(a => double.IsFinite(a.MeanPsnr)).MaxBy(a => a.MeanPsnr);
        var leaks = strongest is not null && strongest.MeanPsnr >= options.LeakPsnr;
        var verdict = strongest is null
            ? "No attack ran" + string.Concat(attacks.Where(a => a.Note is not null).Select(a => $"; {a.Attack}: {a.Note}")) + "."
            : leaks
                ? string.Create(CultureInfo.InvariantCulture, $"LEAKS at batch size {m}: {strongest.Attack} reconstructs the training images from one shared gradient (mean PSNR {strongest.MeanPsnr:F1} dB, SSIM {strongest.MeanSsim:F2}, labels {strongest.LabelAccuracy:P0}).")
                : string.Create(CultureInfo.InvariantCulture, $"No reconstruction at batch size {m} within the budget: the strongest attack ({strongest.Attack}) reaches {strongest.MeanPsnr:F1} dB < {NumberText.G3(options.LeakPsnr)} dB; labels are still read at {inferred.Zip(truths, (a, t) => LabelInference.MultisetAccuracy(t, a.Labels)).Average():P0}.");
        var fix = defences.FirstOrDefault(d => !d.Leaks);
        var recommendation = strongest is null ? "none: no attack ran, so no defence could be measured" + (defenceNote is null ? "" : " (" + defenceNote + ")")
            : defenceNote is not null ? (leaks ? defenceNote : "none needed at this budget: no attack reconstructed the images (" + defenceNote + ")")
            : defences.Count == 0 ? "no defence evaluated (the Inverting attack is off)"
            : fix is not null
                ? string.Create(CultureInfo.InvariantCulture, $"{fix.Defence.Name}: the weakest evaluated setting under which Inverting stays below {NumberText.G3(options.LeakPsnr)} dB ({fix.MeanPsnr:F1} dB; update distortion {fix.Distortion:F2})") + WeakNoiseCaveat(fix.Defence)
                : string.Create(CultureInfo.InvariantCulture, $"none of the evaluated defences brings Inverting below {NumberText.G3(options.LeakPsnr)} dB; use a stronger DP-SGD noise or larger batches");
        return new FederatedAuditResult(model.Origin, sampleDims, m, batches, originals, truths, [.. inferred.Select(i => i.Labels)],
            inferred.Count > 0 ? inferred[0].Method : LabelMethod.Idlg, attacks, defences, headStats, verdict, Rule(options.LeakPsnr), recommendation, leaks)
        { DefenceNote = defenceNote, NoiseFloorPsnr = floorPsnr, NoiseFloorLabelAccuracy = floorLabels, DpSgdSweepNote = sweepNote };
    }

    /// <summary>The caveat after a recommended DP-SGD setting whose noise multiplier is below 0.5: it stops these attacks, but
    /// gives no useful formal guarantee (one Gaussian-mechanism release at σ = 0.1 is already ε ≈ 48 at δ = 1e-5).</summary>
    // why: the σ sweep of full runs can name σ = 0.01 as the weakest setting that stops Inverting; a reader must not take
    // that for differential privacy.
    internal static string WeakNoiseCaveat(GradientDefence defence) => defence is DpSgdDefence { Sigma: < 0.5 }
        ? "; this is an empirical finding against these attacks only: a noise multiplier below 0.5 gives no useful formal (ε, δ) guarantee, so choose σ with a privacy accountant if formal differential privacy is required"
        : "";

    /// <summary>Estimated seconds of one second-order evaluation per trainable parameter per sample (1.5e-7: lenet5 9 ms unloaded;
    /// resnet18@64 1.35–2.7 s and mobilenet_v2@64 0.5–0.9 s were measured at load 27–50 on 2 cores).</summary>
    // why (issue 17, measured): at resnet18@224 with M = 8 this estimates 13.4 s per evaluation and a report measured 9.7 s
    // (107 s for 11 Inverting evaluations, load 6-9), so the estimate is not what makes the 224 federated phase long: the
    // floors (MinimumIterations, MinimumEvaluations) are, and the plan says when they are over the share.
    internal const double SecondsPerParameter = 1.5e-7;

    /// <summary>The cost rule of <see cref="EvaluationSeconds"/> in words.</summary>
    internal static readonly string CostRule = string.Create(CultureInfo.InvariantCulture, $"{SecondsPerParameter:0.0e-0} s per parameter per sample, so that runs repeat");

    /// <summary>Estimated seconds of one second-order evaluation (Inverting or DLG) of <paramref name="parameters"/> trainable
    /// parameters on a batch of <paramref name="batchSize"/> images (<see cref="SecondsPerParameter"/>).</summary>
    internal static double EvaluationSeconds(double parameters, int batchSize) => SecondsPerParameter * parameters * batchSize;

    /// <summary>Plans the iteration counts of the built attacks into <paramref name="budget"/> seconds from a deterministic cost estimate:
    /// Inverting gets ¾ (all when DLG is off) spread over its runs (batches × restarts × (1 + defence runs), a larger batch
    /// weighted by its factor), DLG ¼ over batches × restarts; a second Inverting restart is dropped first when the count
    /// would fall below half the configured one.</summary>
    /// <returns>Whether the DP-SGD sweep (<paramref name="sweep"/> asked for it) fits: its <see cref="DpSgdSweep.MaxRuns"/> runs per batch
    /// are counted as defence runs, and dropped when they would push the Inverting run under <see cref="InvertingOptions.FirstLookIterations"/>.</returns>
    private static bool Plan(GradientInversion inversion, FederatedAuditOptions options, double budget, IReadOnlyList<float[]> observed, long[] labels, bool sweep)
    {
        // why: a wall-clock calibration made the iteration counts (and so the report) differ between runs with the same seed;
        // the estimate is deterministic: SecondsPerParameter per trainable parameter per sample (lenet5 unloaded: 9 ms measured).
        var tInv = EvaluationSeconds(observed.Sum(a => (double)a.Length), labels.Length);
        var tDlg = tInv;
        var ic = CultureInfo.InvariantCulture;
        var inv = inversion.Inverting;
        var dlg = inversion.Dlg;
        var invShare = dlg is null ? budget : 0.75 * budget;
        var dlgShare = inv is null ? budget : 0.25 * budget;
        if (inv is not null && double.IsFinite(tInv) && tInv > 0)
        {
            var listWeight = options.DefencesOnlyWhenLeaking ? 0
                : (options.Defences ?? FederatedAuditOptions.PaperDefences).Sum(d => d is LargerBatchDefence lb ? lb.Factor : 1.0);
            var configured = inv;
            double Weight() => listWeight + (sweep && !options.DefencesOnlyWhenLeaking ? options.SweepRuns : 0);
            int Iterations(int restarts) => (int)Math.Min(configured.Iterations, Math.Floor(invShare / (options.Batches * restarts * (1 + Weight()) * tInv)));
            if (sweep && Math.Max(Iterations(1), Iterations(configured.Restarts)) < InvertingOptions.FirstLookIterations) sweep = false;
            var restarts = inv.Restarts;
            if (restarts > 1 && Iterations(restarts) < inv.Iterations / 2) restarts = 1;
            var it = Math.Min(inv.Iterations, Math.Max(InvertingOptions.MinimumIterations, Iterations(restarts)));
            inv = inv with
            {
                Iterations = it, Restarts = restarts,
                Planned = string.Create(ic, $"planned for a {invShare:F0} s share of the {budget:F0} s budget at an estimated {tInv * 1000:F0} ms per evaluation ({CostRule}) over {NumberText.G3(1 + Weight())} Inverting runs per batch; configured at most {inv.Iterations} × {inv.Restarts}") +
                    (it > Iterations(restarts) ? string.Create(ic, $"; the minimum of {InvertingOptions.MinimumIterations} iterations is over this share (planned {options.Batches * restarts * (1 + Weight()) * it * tInv:F0} s)") : "") +
                    (it < InvertingOptions.FirstLookIterations ? string.Create(ic, $"; fewer than {InvertingOptions.FirstLookIterations} iterations: a first look only, published runs use 4,800+") : ""),
            };
        }
        if (dlg is not null && double.IsFinite(tDlg) && tDlg > 0)
        {
            var ev = Math.Min(dlg.Evaluations, Math.Max(DlgOptions.MinimumEvaluations, (int)Math.Min(dlg.Evaluations, Math.Floor(dlgShare / (options.Batches * dlg.Restarts * tDlg)))));
            dlg = dlg with
            {
                Evaluations = ev,
                Planned = string.Create(ic, $"planned for a {dlgShare:F0} s share at an estimated {tDlg * 1000:F0} ms per evaluation; configured at most {dlg.Evaluations}")
                    + (ev * options.Batches * dlg.Restarts * tDlg > dlgShare ? string.Create(ic, $"; the minimum of {DlgOptions.MinimumEvaluations} evaluations is over this share (planned {ev * options.Batches * dlg.Restarts * tDlg:F0} s)") : ""),
            };
        }
        inversion.SetBudgets(inv, dlg);
        return sweep;
    }

    private static int[] Draw(Random rng, int n, int m, int[] include)
    {
        var set = new HashSet<int>(include);
        var list = new List<int>(include);
        while (list.Count < m)
        {
            var i = rng.Next(n);
            if (set.Add(i)) list.Add(i);
        }
        return [.. list];
    }

    private static FederatedAttackOutcome RunOptimisation(string name, string budget, List<int[]> batches, List<float[]> originals, List<long[]> truths,
        List<IReadOnlyList<float[]>> observed, List<InferredLabels> inferred, long[] sampleDims, Func<IReadOnlyList<float[]>, long[], Reconstruction> attack, IAuditProgress progress)
    {
        var per = (int)sampleDims.Aggregate(1L, (a, b) => a * b);
        var sw = Stopwatch.StartNew();
        var scores = new List<ReconstructionScore>();
        var recs = new List<float[]?[]>();
        using var st = progress.Start("federated: " + name, batches.Count);
        for (var k = 0; k < batches.Count; k++)
        {
            var r = attack(observed[k], inferred[k].Labels);
            var sc = ReconstructionScore.Compute(originals[k], r.Images, truths[k], inferred[k].Labels, sampleDims);
            scores.Add(sc);
            recs.Add([.. sc.Match.Select(j => j < 0 ? null : r.Images.AsSpan(j * per, per).ToArray())]);
            st.Advance();
        }
        return new FederatedAttackOutcome(name, budget, scores, recs, sw.Elapsed.TotalSeconds);
    }

    private static FederatedAttackOutcome Analytic(OnnxModel model, FcnHead? head, List<int[]> batches, List<float[]> originals, List<long[]> truths,
        List<IReadOnlyList<float[]>> observed, Func<IReadOnlyList<float[]>, Dictionary<string, float[]>> dict, long[] sampleDims, FederatedAuditOptions options, IAuditProgress progress)
    {
        const string Name = "analytic (Pan et al.)";
        if (head is null)
            return new FederatedAttackOutcome(Name, "not applicable", [], [], 0, "the logits are not produced by a Linear layer with constant weights");
        var sw = Stopwatch.StartNew();
        var per = (int)sampleDims.Aggregate(1L, (a, b) => a * b);
        var m = batches[0].Length;
        var single = head.Layers.Count == 1;
        var budget = single
            ? "single-Linear head: h = ∂W[k,:]/∂b[k] (M = 1, bias), then feature matching"
            : head.IsWholeModel ? "B.1–B.3 on the ReLU head, input by bias division / least squares" : "hybrid: B.1–B.3 on the head, then feature matching";
        if (single && (m > 1 || head.Layers[0].BiasName is null))
            return new FederatedAttackOutcome(Name, budget, [], [], 0, m > 1
                ? "single-Linear head with M > 1: B.1 separates only the features exclusive to one sample (see the exclusivity statistics); no image is formed"
                : "single-Linear head without a bias: the features cannot be divided out");
        var fm = options.FeatureMatching ?? FeatureMatchingOptions.Default;
        using var stage2 = head.IsWholeModel ? null : new FeatureMatching(model, head.InputName, sampleDims, fm, options.Runtime);
        var scores = new List<ReconstructionScore>();
        var recs = new List<float[]?[]>();
        string? note = null;
        using var st = progress.Start("federated: analytic attack", batches.Count);
        for (var k = 0; k < batches.Count; k++)
        {
            var g = dict(observed[k]);
            var features = new List<float[]>();
            var labels = new List<long>();
            if (single)
            {
                var last = head.Layers[0];
                var gw = head.WeightGradient(g, 0);
                var gb = head.BiasGradient(g, 0)!;
                var best = Enumerable.Range(0, last.Out).MaxBy(c => Math.Abs(gb[c]));
                // why: DESIGN.md single-Linear heads: ∂W[k,:] = ∂b[k]·h for one sample, so h = ∂W[k,:]/∂b[k] exactly.
                features.Add([.. Enumerable.Range(0, last.In).Select(j => gw[best * last.In + j] / gb[best])]);
                labels.Add(Enumerable.Range(0, last.Out).MinBy(c => gb[c]));
            }
            else
            {
                var attack = AnalyticGradientAttack.Run(head, g, GradientAttackOptions.Default);
                foreach (var s in attack.Samples.Where(s => s.HeadInput is not null)) { features.Add(s.HeadInput!); labels.Add(s.Label); }
                if (features.Count < m) note = $"B.1 separated {attack.Samples.Count} of {m} samples in some batch (outside the insecure boundary)";
            }
            float[][] imgs = stage2 is null ? [.. features] : features.Count == 0 ? [] : stage2.Run(features).Images;
            var flat = imgs.SelectMany(v => v).ToArray();
            if (flat.Length == 0) flat = new float[per];
            for (var i = 0; i < flat.Length; i++) flat[i] = float.IsFinite(flat[i]) ? Math.Clamp(flat[i], 0f, 1f) : 0f;
            var sc = ReconstructionScore.Compute(originals[k], flat, truths[k], labels, sampleDims);
            scores.Add(sc);
            recs.Add([.. sc.Match.Select(j => j < 0 ? null : flat.AsSpan(j * per, per).ToArray())]);
            st.Advance();
        }
        if (stage2 is not null) budget += string.Create(CultureInfo.InvariantCulture, $" ({fm.Iterations} iterations, λ_TV {NumberText.G3(fm.TvWeight)}{(fm.Planned is null ? "" : "; " + fm.Planned)})");
        return new FederatedAttackOutcome(Name, budget, scores, recs, sw.Elapsed.TotalSeconds, note);
    }

    private static LinearHeadExclusivity LinearHeadStats(OnnxModel model, FcnHead head, List<float[]> batches, int m, Runtime.RuntimeOptions? runtime)
    {
        using var forward = new Runtime.ModelSession(model, runtime, [head.InputName]);
        var counts = new List<int[]>();
        var width = head.InputWidth;
        var per = batches[0].Length / m;
        foreach (var b in batches)
        {
            float[] feats = [];
            var vi = model.Graph.Input.First(v => model.FindInitializer(v.Name) is null);
            long[] dims = [m, .. vi.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue)];
            forward.Run(b, dims, m, (_, _, o) => feats = o[0]);
            var c = new int[m];
            for (var j = 0; j < width; j++)
            {
                var owner = -1;
                var count = 0;
                for (var s = 0; s < m; s++) if (feats[s * width + j] != 0) { owner = s; count++; }
                if (count == 1) c[owner]++;
            }
            counts.Add(c);
        }
        const string rule = "a feature entering the single Linear head is exclusive to sample m when it is non-zero for m and zero for every other sample of the batch (the ExAN rule of Pan et al. applied to that layer's input); a batch is insecure when every sample has ≥ 2 exclusive features (B.1 needs two equal-ratio columns); for M = 1 every non-zero feature is exclusive and h = ∂W[k,:]/∂b[k] is exact";
        return new LinearHeadExclusivity(width, counts, rule, counts.Count(c => c.All(v => v >= 2)));
    }
}
