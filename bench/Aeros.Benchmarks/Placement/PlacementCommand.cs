using System.Globalization;
using System.Text;
using Aeros.Benchmarks.BrokerLoad;
using Aeros.Orchestration.Placement;

namespace Aeros.Benchmarks.Placement;

/// <summary>
/// <c>placement</c>: the placement engine on seeded generated instances. For the batch instances S, M, L it runs the
/// heuristic, CP-SAT (the exact baseline) and LeastAllocated (the Kubernetes-like baseline) on the same problem; for T
/// it places 10,000 single-component services one after another on 5,000 nodes with the heuristic's session and with
/// LeastAllocated, and CP-SAT on the first services. Every decision of every solver is checked by the independent
/// <see cref="PlacementVerifier"/>.
/// </summary>
internal sealed class PlacementCommand(PlacementBenchOptions options)
{
    private const double GapTargetM = 0.02;
    private const double RateTargetT = 10_000;
    private const int TCpSatServices = 50;
    private static readonly TimeSpan LBudgetCap = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = PlacementBenchOptions.Parse(args, out var error);
        if (options is null)
        {
            if (!string.IsNullOrEmpty(error))
            {
                Console.Error.WriteLine($"placement: {error.Replace("\n", "\nplacement: ", StringComparison.Ordinal)}");
            }
            Console.Error.WriteLine(PlacementBenchOptions.Usage);
            return string.IsNullOrEmpty(error) ? 0 : 2;
        }
        return await Cancellable.RunAsync("placement", token => Task.Run(() => new PlacementCommand(options).Execute(token), token));
    }

    private PlacementOptions EngineOptions(TimeSpan budget) => new()
    {
        CpSatTimeBudget = budget,
        CpSatWorkers = options.Workers,
        RandomSeed = options.Seed,
    };

    private int Execute(CancellationToken cancellationToken)
    {
        var load = MachineInfo.LoadAverage();
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine(inv, $"### placement (seed {options.Seed}, CP-SAT budget {options.BudgetSeconds} s, {options.Workers} workers)");
        md.AppendLine();
        md.AppendLine(inv, $"- Machine: {MachineInfo.Describe()}");
        md.AppendLine(inv, $"- Load average before: {(load is null ? "unknown" : string.Join(" / ", load.Select(l => l.ToString("0.00", inv))))}");
        md.AppendLine();
        md.AppendLine("| Instance | Figure | Heuristic | CP-SAT | LeastAllocated | Ratio (heuristic vs baseline) | Target |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        var ok = true;
        foreach (var instance in options.Instances)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Console.Error.WriteLine($"placement: instance {instance}…");
            ok &= instance == "T" ? RunSequence(md, cancellationToken) : RunBatch(md, instance, cancellationToken);
        }
        Console.WriteLine();
        Console.Write(md);
        if (options.OutputPath is not null)
        {
            File.WriteAllText(options.OutputPath, md.ToString());
        }
        return ok ? 0 : 1;
    }

    private bool RunBatch(StringBuilder md, string instance, CancellationToken cancellationToken)
    {
        var (components, nodes) = instance switch { "S" => (10, 20), "M" => (100, 200), _ => (1_000, 2_000) };
        var budget = TimeSpan.FromSeconds(options.BudgetSeconds);
        if (instance == "L" && budget > LBudgetCap)
        {
            budget = LBudgetCap;
        }
        var engineOptions = EngineOptions(budget);
        var problem = PlacementInstanceGenerator.Generate(components, nodes, options.Seed);
        var repeats = instance switch { "S" => 50, "M" => 10, _ => 3 };

        // The heuristic several times for its time distribution (the same decisions each time).
        var heuristicTimes = new List<double>();
        PlacementResult heuristic = null!;
        for (var r = 0; r < repeats; r++)
        {
            heuristic = new HeuristicSolver(engineOptions).Solve(problem, cancellationToken);
            heuristicTimes.Add(heuristic.SolveTime.TotalMilliseconds);
        }
        var leastAllocated = new LeastAllocatedSolver(engineOptions).Solve(problem, cancellationToken);
        var cpSat = new CpSatSolver(engineOptions).Solve(problem, budget, cancellationToken);
        var simpleBound = PlacementEvaluation.LowerBound(problem, engineOptions);

        var hv = PlacementVerifier.Violations(problem, engineOptions, heuristic.Decisions);
        var cv = PlacementVerifier.Violations(problem, engineOptions, cpSat.Decisions);
        var lv = PlacementVerifier.Violations(problem, engineOptions, leastAllocated.Decisions);
        foreach (var v in hv.Concat(cv).Concat(lv).Take(10))
        {
            Console.Error.WriteLine($"placement: {instance} violation: {v}");
        }

        string gapText;
        double? gap = null;
        if (cpSat.Solver == CpSatSolver.SolverName && cpSat.Optimal && cpSat.Unplaced == heuristic.Unplaced)
        {
            gap = Gap(heuristic.Objective, cpSat.Objective);
            gapText = $"{Pct(gap.Value)} to the CP-SAT optimum";
        }
        else
        {
            var bound = Max(cpSat.Bound, simpleBound);
            if (bound is { } b && heuristic.Unplaced == cpSat.Unplaced)
            {
                gap = Gap(heuristic.Objective, b);
                gapText = $"≤ {Pct(gap.Value)} to the best bound {F(b)} ({(cpSat.Bound >= simpleBound ? "CP-SAT solver: max of its model's and the Lagrangian bound" : "Lagrangian bound, with latency")})";
            }
            else
            {
                gapText = "n/a (different unplaced components; no comparable bound)";
            }
        }
        var inv = CultureInfo.InvariantCulture;
        var name = $"{instance} ({components} × {nodes})";
        var cpState = cpSat.Solver != CpSatSolver.SolverName ? "nothing better found in budget: the heuristic's answer" : cpSat.Optimal ? "optimal" : $"gap {(cpSat.Gap is { } g ? Pct(g) : "unknown")}";
        Row(md, name, "objective (lower is better)", F(heuristic.Objective), $"{F(cpSat.Objective)} ({cpState})", F(leastAllocated.Objective), $"{Ratio(heuristic.Objective, leastAllocated.Objective)} of LeastAllocated", "");
        Row(md, name, "energy W (Σ marginal power)", F(Energy(heuristic)), F(Energy(cpSat)), F(Energy(leastAllocated)), $"{Ratio(Energy(heuristic), Energy(leastAllocated))} of LeastAllocated", "");
        var cpGapText = cpSat.Optimal ? "0 (optimal)" : cpSat.Gap is { } cg ? $"≤ {Pct(cg)} to its bound {F(cpSat.Bound!.Value)}" : "unknown";
        Row(md, name, "gap of the heuristic", gapText, cpGapText, cpSat.Optimal ? Pct(Gap(leastAllocated.Objective, cpSat.Objective)) : "", "", instance == "M" ? "≤ 2 %" : "");
        Row(md, name, "unplaced components", $"{heuristic.Unplaced}", $"{cpSat.Unplaced}", $"{leastAllocated.Unplaced}", "", "");
        Row(md, name, "hard-constraint violations", $"{hv.Count}", $"{cv.Count}", $"{lv.Count}", "", "0");
        heuristicTimes.Sort();
        var h50 = Percentile(heuristicTimes, 0.5);
        Row(md, name, "decisions/s", F(components / (h50 / 1000)), F(components / cpSat.SolveTime.TotalSeconds), F(components / leastAllocated.SolveTime.TotalSeconds),
            $"{Ratio(components / (h50 / 1000), components / cpSat.SolveTime.TotalSeconds)} of CP-SAT", "");
        Row(md, name, $"batch solve ms p50 / p99 ({repeats} runs)", $"{F(h50)} / {F(Percentile(heuristicTimes, 0.99))}", F(cpSat.SolveTime.TotalMilliseconds), F(leastAllocated.SolveTime.TotalMilliseconds), "", "");
        var pass = hv.Count == 0 && cv.Count == 0 && (instance != "M" || gap <= GapTargetM);
        md.AppendLine(inv, $"| {name} | targets | {(pass ? "met" : "MISSED")} | | | | |");
        return true;
    }

    /// <summary>Services of the T sequence each solver places once, unmeasured, before its measured run.</summary>
    private const int TWarmupServices = 3_000;

    private bool RunSequence(StringBuilder md, CancellationToken cancellationToken)
    {
        const int Nodes = 5_000;
        const int Services = 10_000;
        var engineOptions = EngineOptions(TimeSpan.FromSeconds(options.BudgetSeconds));
        var nodes = PlacementInstanceGenerator.Nodes(Nodes, options.Seed);
        var services = PlacementInstanceGenerator.Components(Services, nodes, options.Seed, singleComponentServices: true);

        // Unmeasured warm-up of both solvers on throwaway sessions: otherwise the first one measured also pays for the JIT
        // tiering of the code both share, and the second looks faster than it is.
        var warmup = services.Take(TWarmupServices).ToList();
        Sequence(new PlacementSession(nodes, engineOptions), warmup, cancellationToken);
        Sequence(new LeastAllocatedSolver(engineOptions).CreateSession(nodes), warmup, cancellationToken);

        var (heuristicDecisions, heuristicLatencies, heuristicTotal, heuristicCpu, heuristicBytes) = Sequence(new PlacementSession(nodes, engineOptions), services, cancellationToken);
        var (laDecisions, laLatencies, laTotal, laCpu, laBytes) = Sequence(new LeastAllocatedSolver(engineOptions).CreateSession(nodes), services, cancellationToken);

        // CP-SAT on the first services, each a one-component problem over the nodes as the heuristic left them.
        var cpTimes = new List<double>();
        var cpSolver = new CpSatSolver(engineOptions);
        var current = nodes.ToList();
        var index = current.Select((n, i) => (n.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
        for (var i = 0; i < TCpSatServices; i++)
        {
            var result = cpSolver.Solve(new PlacementProblem(current, [services[i]]), cancellationToken);
            cpTimes.Add(result.SolveTime.TotalMilliseconds);
            if (result.Decisions[0].NodeId is { } id)
            {
                var n = index[id];
                current[n] = current[n] with { CpuRequested = current[n].CpuRequested + services[i].CpuRequest, MemoryRequestedMb = current[n].MemoryRequestedMb + services[i].MemoryRequestMb };
            }
        }
        cpTimes.Sort();

        var whole = new PlacementProblem(nodes, services);
        var hv = PlacementVerifier.Violations(whole, engineOptions, heuristicDecisions);
        var lv = PlacementVerifier.Violations(whole, engineOptions, laDecisions);
        foreach (var v in hv.Concat(lv).Take(10))
        {
            Console.Error.WriteLine($"placement: T violation: {v}");
        }
        var hRate = Services / heuristicTotal.TotalSeconds;
        var lRate = Services / laTotal.TotalSeconds;
        var cRate = 1000 / Percentile(cpTimes, 0.5);
        var hEnergy = heuristicDecisions.Sum(d => d.ScoreParts.EnergyW);
        var lEnergy = laDecisions.Sum(d => d.ScoreParts.EnergyW);
        const string Name = "T (10,000 services × 5,000 nodes)";
        Row(md, Name, "placements/s", F(hRate), $"{F(cRate)} (first {TCpSatServices})", F(lRate), $"{Ratio(hRate, lRate)} of LeastAllocated, {Ratio(hRate, cRate)} of CP-SAT", "≥ 10,000");
        Row(md, Name, "placements per CPU-second (process CPU time; what a loaded machine cannot hide)", F(Services / heuristicCpu.TotalSeconds), "", F(Services / laCpu.TotalSeconds),
            $"{Ratio(Services / heuristicCpu.TotalSeconds, Services / laCpu.TotalSeconds)} of LeastAllocated", "");
        Row(md, Name, "decision ms p50 / p99", $"{F(Percentile(heuristicLatencies, 0.5))} / {F(Percentile(heuristicLatencies, 0.99))}",
            $"{F(Percentile(cpTimes, 0.5))} / {F(Percentile(cpTimes, 0.99))}", $"{F(Percentile(laLatencies, 0.5))} / {F(Percentile(laLatencies, 0.99))}", "", "");
        Row(md, Name, "bytes allocated per decision (placing thread; the decision list and latency samples included)", F(heuristicBytes), "", F(laBytes),
            $"{Ratio(heuristicBytes, laBytes)} of LeastAllocated", "");
        Row(md, Name, "energy W (Σ marginal power)", F(hEnergy), "", F(lEnergy), $"{Ratio(hEnergy, lEnergy)} of LeastAllocated", "");
        Row(md, Name, "unplaced services", $"{heuristicDecisions.Count(d => d.NodeId is null)}", "", $"{laDecisions.Count(d => d.NodeId is null)}", "", "");
        Row(md, Name, "hard-constraint violations", $"{hv.Count}", "", $"{lv.Count}", "", "0");
        var pass = hv.Count == 0 && hRate >= RateTargetT;
        md.AppendLine(CultureInfo.InvariantCulture, $"| {Name} | targets | {(pass ? "met" : "MISSED")} | | | | |");
        return true;
    }

    private static (List<PlacementDecision> Decisions, List<double> LatenciesMs, TimeSpan Total, TimeSpan Cpu, double BytesPerDecision) Sequence(
        PlacementSession session, IReadOnlyList<PlacementComponent> services, CancellationToken cancellationToken)
    {
        var decisions = new List<PlacementDecision>(services.Count);
        var latencies = new List<double>(services.Count);
        var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        // Bytes this thread allocates while placing: unlike time, not distorted by other processes on a shared machine.
        var bytesBefore = GC.GetAllocatedBytesForCurrentThread();
        var started = TimeProvider.System.GetTimestamp();
        var batch = new PlacementComponent[1];
        foreach (var service in services)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var t0 = TimeProvider.System.GetTimestamp();
            batch[0] = service;
            var result = session.Place(batch, cancellationToken);
            latencies.Add(TimeProvider.System.GetElapsedTime(t0).TotalMilliseconds);
            decisions.Add(result.Decisions[0]);
        }
        var total = TimeProvider.System.GetElapsedTime(started);
        var bytes = GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        latencies.Sort();
        return (decisions, latencies, total, cpu, (double)bytes / services.Count);
    }

    private static double Energy(PlacementResult result) => result.Decisions.Sum(d => d.ScoreParts.EnergyW);

    private static double Gap(double value, double reference) => value <= 0 ? 0 : Math.Max(0, (value - reference) / value);

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string Ratio(double a, double b) => b == 0 ? "n/a" : (a / b).ToString("0.00", CultureInfo.InvariantCulture) + "×";

    private static string Pct(double fraction) => (fraction * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %";

    private static string F(double value) => value.ToString(Math.Abs(value) >= 100 ? "#,0" : "0.###", CultureInfo.InvariantCulture);

    private static void Row(StringBuilder md, string instance, string figure, string heuristic, string cpSat, string leastAllocated, string ratio, string target) =>
        md.AppendLine(CultureInfo.InvariantCulture, $"| {instance} | {figure} | {heuristic} | {cpSat} | {leastAllocated} | {ratio} | {target} |");
}
