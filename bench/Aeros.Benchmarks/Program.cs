using Aeros.Benchmarks.AgentFootprint;
using Aeros.Benchmarks.BrokerLoad;
using Aeros.Benchmarks.Gateway;
using Aeros.Benchmarks.NotifyLoad;
using Aeros.Benchmarks.Orchestration;
using Aeros.Benchmarks.Placement;
using Aeros.Benchmarks.TokenIssuance;
using BenchmarkDotNet.Running;

// A small dispatcher: each subcommand lives in its own folder.
return args switch
{
    ["broker-load", .. var rest] => await BrokerLoadCommand.RunAsync(rest),
    ["notify-load", .. var rest] => await NotifyLoadCommand.RunAsync(rest),
    ["agent-footprint", .. var rest] => await AgentFootprintCommand.RunAsync(rest),
    ["placement", .. var rest] => await PlacementCommand.RunAsync(rest),
    ["failover", .. var rest] => await FailoverCommand.RunAsync(rest),
    ["deploy-latency", .. var rest] => await DeployLatencyCommand.RunAsync(rest),
    ["token-issuance", .. var rest] => await TokenIssuanceCommand.RunAsync(rest),
    ["gateway", .. var rest] => await GatewayBenchCommand.RunAsync(rest),
    ["micro", .. var rest] => RunMicro(rest),
    [BareServer.Command, .. var rest] => await BareServer.RunAsync(rest), // hidden: broker-load starts it
    [IdleProcess.Command, ..] => IdleProcess.Run(), // hidden: agent-footprint's baseline
    [BareTokenServer.Command, .. var rest] => await BareTokenServer.RunAsync(rest), // hidden: token-issuance's baseline
    _ => Usage(),
};

static int RunMicro(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("""
        Usage: dotnet run -c Release --project bench/Aeros.Benchmarks -- <command> [options]

        Commands:
          broker-load   Drive load against a real 'aeros broker' process and a bare Kestrel baseline.
                        Run 'broker-load --help' for its options.
          notify-load   Notification latency and throughput of a real 'aeros broker' with 1,000 subscriptions,
                        against a write-only baseline. Run 'notify-load --help' for its options.
          agent-footprint  RSS and CPU% of a real 'aeros agent' with process workloads, against an idle .NET
                        process. Run 'agent-footprint --help' for its options.
          placement     The placement engine (heuristic, CP-SAT, LeastAllocated) on seeded instances S, M, L, T.
                        Run 'placement --help' for its options.
          failover      SIGKILL the agent of a running component → Running on another IE, p50/p99 against the LLO's
                        detection floor. Run 'failover --help' for its options.
          deploy-latency  HLO request → component Running, p50/p99, against starting the process on an agent directly.
                        Run 'deploy-latency --help' for its options.
          token-issuance  Client-credential tokens/s of a real 'aeros iam serve' with N concurrent clients, against a
                        bare Kestrel server signing a comparable JWT. Run 'token-issuance --help' for its options.
          gateway       Broker GET by id directly, through nginx (plain reverse proxy) and through 'aeros gateway' with
                        JWT validation and RBAC, in one run; prints the ratios. Needs nginx (apt-get install nginx).
          micro         BenchmarkDotNet micro-benchmarks (BenchmarkSwitcher arguments follow).
        """);
    return 2;
}
