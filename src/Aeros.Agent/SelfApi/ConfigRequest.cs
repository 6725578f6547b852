using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aeros.Agent.SelfApi;

/// <summary>
/// Reads a <c>PUT /self/v1/config</c> body onto the current configuration: fields left out keep their value; every
/// type error and every validation error is collected, none stops the reading.
/// </summary>
internal static class ConfigRequest
{
    private static readonly string[] TopFields = ["samplingPeriod", "location", "tier", "maintenance", "weights", "thresholds"];
    private static readonly string[] WeightFields = ["cpu", "memory", "disk", "network", "workloads", "broker"];
    private static readonly string[] ThresholdFields =
        ["cpuGood", "cpuBad", "memoryGood", "memoryBad", "diskGood", "diskBad", "networkLossGood", "networkLossBad", "workloadFailureBad", "overloadCpu", "overloadMemory", "overloadScore", "zeroFactorCap"];

    public static (AgentConfig? Config, List<string> Errors) Apply(AgentConfig current, string body)
    {
        var errors = new List<string>();
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            errors.Add($"The body is not valid JSON: {e.Message}");
            return (null, errors);
        }
        if (root is not JsonObject obj)
        {
            errors.Add("The body must be a JSON object.");
            return (null, errors);
        }
        Unknown(obj, TopFields, "", errors);
        var period = current.SamplingPeriod;
        if (obj.TryGetPropertyValue("samplingPeriod", out var p) && Number(p, "samplingPeriod", errors) is { } seconds)
        {
            if (seconds is >= 0 and <= 1e7)
            {
                period = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                errors.Add($"samplingPeriod must be between {AgentConfig.MinSamplingPeriod.TotalSeconds} s and {AgentConfig.MaxSamplingPeriod.TotalSeconds} s (was {seconds} s).");
            }
        }
        var location = current.Location;
        if (obj.TryGetPropertyValue("location", out var l))
        {
            if (l is null)
            {
                location = null;
            }
            else if (l is JsonObject lo)
            {
                Unknown(lo, ["latitude", "longitude", "type", "coordinates"], "location.", errors);
                var lat = Number(lo["latitude"], "location.latitude", errors, required: true);
                var lon = Number(lo["longitude"], "location.longitude", errors, required: true);
                location = lat is { } la && lon is { } ln ? new GeoLocation { Latitude = la, Longitude = ln } : location;
            }
            else
            {
                errors.Add("location must be an object {\"latitude\": .., \"longitude\": ..} or null.");
            }
        }
        var tier = current.Tier;
        if (obj.TryGetPropertyValue("tier", out var t))
        {
            if (t is JsonValue tv && tv.TryGetValue<string>(out var ts))
            {
                tier = ts;
            }
            else
            {
                errors.Add("tier must be a string.");
            }
        }
        var maintenance = current.Maintenance;
        if (obj.TryGetPropertyValue("maintenance", out var m))
        {
            if (m is JsonValue mv && mv.TryGetValue<bool>(out var mb))
            {
                maintenance = mb;
            }
            else
            {
                errors.Add("maintenance must be true or false.");
            }
        }
        var weights = current.Weights.Clone();
        if (Section(obj, "weights", WeightFields, errors) is { } wo)
        {
            weights.Cpu = Number(wo["cpu"], "weights.cpu", errors) ?? weights.Cpu;
            weights.Memory = Number(wo["memory"], "weights.memory", errors) ?? weights.Memory;
            weights.Disk = Number(wo["disk"], "weights.disk", errors) ?? weights.Disk;
            weights.Network = Number(wo["network"], "weights.network", errors) ?? weights.Network;
            weights.Workloads = Number(wo["workloads"], "weights.workloads", errors) ?? weights.Workloads;
            weights.Broker = Number(wo["broker"], "weights.broker", errors) ?? weights.Broker;
        }
        var th = current.Thresholds.Clone();
        if (Section(obj, "thresholds", ThresholdFields, errors) is { } to)
        {
            th.CpuGood = Number(to["cpuGood"], "thresholds.cpuGood", errors) ?? th.CpuGood;
            th.CpuBad = Number(to["cpuBad"], "thresholds.cpuBad", errors) ?? th.CpuBad;
            th.MemoryGood = Number(to["memoryGood"], "thresholds.memoryGood", errors) ?? th.MemoryGood;
            th.MemoryBad = Number(to["memoryBad"], "thresholds.memoryBad", errors) ?? th.MemoryBad;
            th.DiskGood = Number(to["diskGood"], "thresholds.diskGood", errors) ?? th.DiskGood;
            th.DiskBad = Number(to["diskBad"], "thresholds.diskBad", errors) ?? th.DiskBad;
            th.NetworkLossGood = Number(to["networkLossGood"], "thresholds.networkLossGood", errors) ?? th.NetworkLossGood;
            th.NetworkLossBad = Number(to["networkLossBad"], "thresholds.networkLossBad", errors) ?? th.NetworkLossBad;
            th.WorkloadFailureBad = Number(to["workloadFailureBad"], "thresholds.workloadFailureBad", errors) ?? th.WorkloadFailureBad;
            th.OverloadCpu = Number(to["overloadCpu"], "thresholds.overloadCpu", errors) ?? th.OverloadCpu;
            th.OverloadMemory = Number(to["overloadMemory"], "thresholds.overloadMemory", errors) ?? th.OverloadMemory;
            th.OverloadScore = Number(to["overloadScore"], "thresholds.overloadScore", errors) ?? th.OverloadScore;
            th.ZeroFactorCap = Number(to["zeroFactorCap"], "thresholds.zeroFactorCap", errors) ?? th.ZeroFactorCap;
        }
        var config = new AgentConfig(period, location, tier, maintenance, weights, th);
        errors.AddRange(config.Validate());
        return errors.Count == 0 ? (config, errors) : (null, errors);
    }

    private static JsonObject? Section(JsonObject obj, string name, string[] fields, List<string> errors)
    {
        if (!obj.TryGetPropertyValue(name, out var node))
        {
            return null;
        }
        if (node is not JsonObject section)
        {
            errors.Add($"{name} must be an object.");
            return null;
        }
        Unknown(section, fields, name + ".", errors);
        return section;
    }

    private static double? Number(JsonNode? node, string name, List<string> errors, bool required = false)
    {
        if (node is null)
        {
            if (required)
            {
                errors.Add($"{name} is required.");
            }
            return null;
        }
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d))
        {
            return d;
        }
        errors.Add($"{name} must be a number.");
        return null;
    }

    private static void Unknown(JsonObject obj, string[] known, string prefix, List<string> errors)
    {
        foreach (var (key, _) in obj)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                errors.Add($"{prefix}{key} is not a configuration field (known: {string.Join(", ", known)}).");
            }
        }
    }
}
