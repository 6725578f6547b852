namespace Aeros.Agent.SelfApi;

/// <summary>
/// The OpenAPI 3.1 description of <c>/self/v1</c>, written by hand (the agent carries no OpenAPI library). It covers
/// the workload routes too, which the workload manager serves under the same root.
/// </summary>
internal static class OpenApiDocument
{
    public const string Json = """
{
  "openapi": "3.1.0",
  "info": {
    "title": "Aeros agent self-API",
    "version": "1.0.0",
    "description": "The API of one infrastructure element (IE): self-awareness (node metrics), self-diagnose (health), configuration and workloads. Prometheus metrics are at /metrics (text format 0.0.4). Errors are RFC 9457 problem details."
  },
  "servers": [{ "url": "/" }],
  "paths": {
    "/self/v1/info": {
      "get": {
        "summary": "Static facts of the node and the agent's identity (IE id, domain, broker).",
        "operationId": "getInfo",
        "responses": { "200": { "description": "Node facts", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Info" } } } } }
      }
    },
    "/self/v1/metrics": {
      "get": {
        "summary": "The latest node snapshot.",
        "operationId": "getMetrics",
        "responses": {
          "200": { "description": "Latest snapshot", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Snapshot" } } } },
          "503": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/self/v1/metrics/history": {
      "get": {
        "summary": "Snapshots of the last N seconds, oldest first (bounded by the history capacity).",
        "operationId": "getMetricsHistory",
        "parameters": [{ "name": "seconds", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 86400, "default": 60 } }],
        "responses": {
          "200": {
            "description": "History",
            "content": { "application/json": { "schema": {
              "type": "object",
              "required": ["seconds", "count", "samples"],
              "properties": { "seconds": { "type": "integer" }, "count": { "type": "integer" }, "samples": { "type": "array", "items": { "$ref": "#/components/schemas/Snapshot" } } }
            } } }
          },
          "400": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/self/v1/health": {
      "get": {
        "summary": "Health score in [0,1], infrastructureElementStatus and the breakdown per factor.",
        "operationId": "getHealth",
        "responses": {
          "200": { "description": "Health", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } },
          "503": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/self/v1/config": {
      "get": {
        "summary": "The runtime-changeable configuration.",
        "operationId": "getConfig",
        "responses": { "200": { "description": "Configuration", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Config" } } } } }
      },
      "put": {
        "summary": "Change the configuration; fields left out keep their value. A 400 lists every error and changes nothing.",
        "operationId": "putConfig",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Config" } } } },
        "responses": {
          "200": { "description": "The new configuration", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Config" } } } },
          "400": { "$ref": "#/components/responses/Problem" },
          "413": { "$ref": "#/components/responses/Problem" },
          "415": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/self/v1/workloads": {
      "get": {
        "summary": "The workloads of this node with their state, restarts and spec, and a summary.",
        "operationId": "listWorkloads",
        "responses": { "200": { "description": "Workloads", "content": { "application/json": { "schema": {
          "type": "object",
          "properties": {
            "workloads": { "type": "array", "items": { "$ref": "#/components/schemas/Workload" } },
            "summary": { "type": "object", "properties": { "total": { "type": "integer" }, "running": { "type": "integer" }, "failed": { "type": "integer" }, "crashLooping": { "type": "integer" }, "restarts": { "type": "integer" } } }
          }
        } } } } }
      }
    },
    "/self/v1/workloads/{name}": {
      "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }],
      "get": {
        "summary": "One workload.",
        "operationId": "getWorkload",
        "responses": {
          "200": { "description": "Workload", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Workload" } } } },
          "404": { "$ref": "#/components/responses/Problem" }
        }
      },
      "put": {
        "summary": "Create or replace a workload (desired state; kept in the local state file). A 400 lists every error of the spec.",
        "operationId": "putWorkload",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/WorkloadSpec" } } } },
        "responses": {
          "200": { "description": "Replaced", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Workload" } } } },
          "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Workload" } } } },
          "400": { "$ref": "#/components/responses/Problem" }
        }
      },
      "delete": {
        "summary": "Stop and remove a workload.",
        "operationId": "deleteWorkload",
        "responses": { "204": { "description": "Removed" }, "404": { "$ref": "#/components/responses/Problem" } }
      }
    },
    "/self/v1/workloads/{name}/logs": {
      "parameters": [
        { "name": "name", "in": "path", "required": true, "schema": { "type": "string" } },
        { "name": "tail", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 10000, "default": 100 } }
      ],
      "get": {
        "summary": "The last lines of a workload's stdout/stderr log.",
        "operationId": "getWorkloadLogs",
        "responses": {
          "200": { "description": "Log lines", "content": { "application/json": { "schema": { "type": "object", "properties": { "name": { "type": "string" }, "tail": { "type": "integer" }, "lines": { "type": "array", "items": { "type": "string" } } } } } } },
          "400": { "$ref": "#/components/responses/Problem" },
          "404": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/self/v1/openapi.json": {
      "get": { "summary": "This document.", "operationId": "getOpenApi", "responses": { "200": { "description": "OpenAPI 3.1 document", "content": { "application/json": {} } } } }
    },
    "/metrics": {
      "get": { "summary": "Prometheus metrics (node_exporter names for node metrics, aeros_* for the agent).", "operationId": "getPrometheusMetrics", "responses": { "200": { "description": "Prometheus text format 0.0.4", "content": { "text/plain": { "schema": { "type": "string" } } } } } }
    }
  },
  "components": {
    "responses": {
      "Problem": { "description": "Problem details (RFC 9457)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
    },
    "schemas": {
      "Problem": {
        "type": "object",
        "properties": { "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" }, "instance": { "type": "string" }, "errors": { "type": "array", "items": { "type": "string" } } }
      },
      "Location": {
        "type": ["object", "null"],
        "properties": { "latitude": { "type": "number", "minimum": -90, "maximum": 90 }, "longitude": { "type": "number", "minimum": -180, "maximum": 180 }, "type": { "const": "Point" }, "coordinates": { "type": "array", "items": { "type": "number" } } }
      },
      "Info": {
        "type": "object",
        "properties": {
          "id": { "type": "string" }, "type": { "const": "InfrastructureElement" }, "domain": { "type": "string" }, "domainId": { "type": "string" },
          "broker": { "type": ["string", "null"] }, "agentVersion": { "type": "string" }, "startedAt": { "type": "string", "format": "date-time" },
          "hostname": { "type": ["string", "null"] }, "internalIpAddress": { "type": ["string", "null"] }, "macAddress": { "type": ["string", "null"] },
          "operatingSystem": { "type": "string" }, "kernel": { "type": "string" },
          "cpuArchitecture": { "enum": ["AMD64", "ARM64", "ARM32", "MIPS64LE", "PPC64LE", "RISC-V", "S390X", "386", "LOONG64"] }, "cpuArchitectureUrn": { "type": "string" },
          "cpuCores": { "type": "integer" }, "cpuFreqMax": { "type": ["number", "null"], "description": "MHz" },
          "realTimeCapable": { "type": "boolean" }, "gpu": { "type": "boolean" }, "powerSource": { "enum": ["rapl", "model"] },
          "infrastructureElementTier": { "type": "string" }, "infrastructureElementTierUrn": { "type": "string" }, "location": { "$ref": "#/components/schemas/Location" },
          "stateDirectory": { "type": "string" }
        }
      },
      "Snapshot": {
        "type": "object",
        "properties": {
          "timestamp": { "type": "string", "format": "date-time" }, "hostname": { "type": "string" }, "internalIpAddress": { "type": ["string", "null"] },
          "macAddress": { "type": ["string", "null"] }, "networkInterface": { "type": ["string", "null"] },
          "currentCpuUsage": { "type": "number", "description": "%" }, "load1": { "type": ["number", "null"] },
          "ramCapacity": { "type": "number", "description": "MB" }, "availableRam": { "type": "number", "description": "MB" },
          "currentRamUsage": { "type": "number", "description": "MB" }, "currentRamUsagePct": { "type": "number", "description": "%" },
          "diskCapacity": { "type": ["number", "null"], "description": "MB" }, "availableDisk": { "type": ["number", "null"], "description": "MB" },
          "currentDiskUsage": { "type": ["number", "null"], "description": "MB" }, "currentDiskUsagePct": { "type": ["number", "null"], "description": "%" },
          "netTrafficUp": { "type": "number", "description": "MB/s" }, "netTrafficDown": { "type": "number", "description": "MB/s" },
          "netSpeedUp": { "type": ["number", "null"], "description": "Mbps" }, "netSpeedDown": { "type": ["number", "null"], "description": "Mbps" },
          "netLostPackages": { "type": "integer", "description": "packets dropped or in error during the last period" }, "netLossPct": { "type": "number" },
          "currentPowerConsumption": { "type": "number", "description": "W" }, "avgPowerConsumption": { "type": "number", "description": "W" },
          "energyEfficiencyRatio": { "type": "number", "minimum": 0, "maximum": 1 }, "powerSource": { "enum": ["rapl", "model"] },
          "location": { "$ref": "#/components/schemas/Location" }, "infrastructureElementTier": { "type": "string" }
        }
      },
      "Health": {
        "type": "object",
        "properties": {
          "timestamp": { "type": "string", "format": "date-time" },
          "healthScore": { "type": "number", "minimum": 0, "maximum": 1 },
          "infrastructureElementStatus": { "enum": ["Ready", "Overloaded", "Maintenance"] },
          "infrastructureElementStatusUrn": { "type": "string" },
          "reasons": { "type": "array", "items": { "type": "string" } },
          "factors": { "type": "array", "items": {
            "type": "object",
            "properties": {
              "name": { "enum": ["cpu", "memory", "disk", "network", "workloads", "broker"] },
              "value": { "type": ["number", "null"] }, "weight": { "type": "number" }, "effectiveWeight": { "type": "number" }, "input": { "type": ["number", "null"] }
            }
          } }
        }
      },
      "Config": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "samplingPeriod": { "type": "number", "description": "seconds, 0.1 to 3600" },
          "location": { "$ref": "#/components/schemas/Location" },
          "tier": { "enum": ["Cloud", "Edge", "FarEdge", "IoT", "CloudOnPremises"] },
          "maintenance": { "type": "boolean" },
          "weights": { "type": "object", "additionalProperties": false, "properties": {
            "cpu": { "type": "number", "minimum": 0 }, "memory": { "type": "number", "minimum": 0 }, "disk": { "type": "number", "minimum": 0 },
            "network": { "type": "number", "minimum": 0 }, "workloads": { "type": "number", "minimum": 0 }, "broker": { "type": "number", "minimum": 0 } } },
          "thresholds": { "type": "object", "additionalProperties": false, "properties": {
            "cpuGood": { "type": "number" }, "cpuBad": { "type": "number" }, "memoryGood": { "type": "number" }, "memoryBad": { "type": "number" },
            "diskGood": { "type": "number" }, "diskBad": { "type": "number" }, "networkLossGood": { "type": "number" }, "networkLossBad": { "type": "number" },
            "workloadFailureBad": { "type": "number" }, "overloadCpu": { "type": "number" }, "overloadMemory": { "type": "number" },
            "overloadScore": { "type": "number", "minimum": 0, "maximum": 1 }, "zeroFactorCap": { "type": "number", "minimum": 0, "maximum": 1 } } }
        }
      },
      "WorkloadSpec": {
        "type": "object",
        "description": "A process or container workload; docs/agent-workloads.md describes every field and rule. A 400 lists every error.",
        "required": ["kind"],
        "properties": {
          "kind": { "enum": ["Process", "Container"] },
          "command": { "type": "string" }, "args": { "type": "array", "items": { "type": "string" } },
          "env": { "type": "object", "additionalProperties": { "type": "string" } }, "workingDirectory": { "type": "string" },
          "image": { "type": "string" }, "ports": { "type": "array", "items": { "type": "string", "description": "hostPort:containerPort[/protocol]" } },
          "cpuLimit": { "type": "number" }, "memoryLimit": { "type": ["number", "string"] },
          "credentials": { "type": "object", "properties": { "username": { "type": "string" }, "password": { "type": "string" } } },
          "declaredPorts": { "type": "array", "items": { "type": "integer" } },
          "restartPolicy": { "enum": ["Always", "OnFailure", "Never"] },
          "isJob": { "type": "boolean" }
        }
      },
      "Workload": {
        "type": "object",
        "properties": {
          "name": { "type": "string" }, "kind": { "enum": ["Process", "Container"] },
          "state": { "enum": ["Pending", "Starting", "Running", "Exited", "Failed", "CrashLoop", "Stopped"] },
          "pid": { "type": ["integer", "null"] }, "containerId": { "type": ["string", "null"] }, "restarts": { "type": "integer" },
          "lastExitCode": { "type": ["integer", "null"] }, "lastError": { "type": ["string", "null"] },
          "startedAt": { "type": ["string", "null"], "format": "date-time" }, "finishedAt": { "type": ["string", "null"], "format": "date-time" },
          "nextRestartAt": { "type": ["string", "null"], "format": "date-time" }, "logsDegraded": { "type": "boolean" },
          "spec": { "$ref": "#/components/schemas/WorkloadSpec" }
        }
      }
    }
  }
}
""";
}
