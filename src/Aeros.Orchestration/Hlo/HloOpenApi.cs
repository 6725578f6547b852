namespace Aeros.Orchestration.Hlo;

/// <summary>The OpenAPI 3.1 document of the HLO's API, served at <c>GET /hlo/v1/openapi.json</c>.</summary>
internal static class HloOpenApi
{
    public const string Document = """
    {
      "openapi": "3.1.0",
      "info": { "title": "Aeros High-Level Orchestrator", "version": "1.0.0",
        "description": "Submit TOSCA services, see where their components run and why, re-allocate, remove, and raise element alerts. Errors are RFC 9457 problem details (application/problem+json). Inter-domain hand-offs are unauthenticated until the continuum has security." },
      "servers": [ { "url": "/hlo/v1" } ],
      "paths": {
        "/services": {
          "get": { "summary": "List the services of this domain", "operationId": "listServices",
            "responses": { "200": { "description": "The services", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/ServiceSummary" } } } } },
                           "503": { "$ref": "#/components/responses/Problem" } } }
        },
        "/services/{id}": {
          "parameters": [ { "name": "id", "in": "path", "required": true, "description": "A service name (letters, digits, '.', '_', '-') or urn:ngsi-ld:Service:<name>", "schema": { "type": "string" } } ],
          "post": { "summary": "Submit a service (TOSCA YAML or JSON); placement runs after the 202", "operationId": "submitService",
            "parameters": [ { "name": "Aeros-Handoff-From", "in": "header", "required": false, "description": "Set by another domain's HLO on a hand-off: the service is never handed on", "schema": { "type": "string" } } ],
            "requestBody": { "required": true, "content": { "application/yaml": { "schema": { "type": "string" } }, "text/yaml": { "schema": { "type": "string" } }, "application/x-yaml": { "schema": { "type": "string" } }, "text/plain": { "schema": { "type": "string" } }, "application/json": { "schema": { "type": "object" } } } },
            "responses": { "202": { "$ref": "#/components/responses/Accepted" }, "400": { "$ref": "#/components/responses/Problem" }, "409": { "$ref": "#/components/responses/Problem" },
                           "413": { "$ref": "#/components/responses/Problem" }, "415": { "$ref": "#/components/responses/Problem" }, "503": { "$ref": "#/components/responses/Problem" } } },
          "get": { "summary": "A service with each component's status, element and the reason for the choice", "operationId": "getService",
            "responses": { "200": { "description": "The service", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Service" } } } },
                           "400": { "$ref": "#/components/responses/Problem" }, "404": { "$ref": "#/components/responses/Problem" } } },
          "put": { "summary": "Re-allocate: with a body the new blueprint replaces the old; without, the same components are placed again", "operationId": "reallocateService",
            "requestBody": { "required": false, "content": { "application/yaml": { "schema": { "type": "string" } }, "application/json": { "schema": { "type": "object" } } } },
            "responses": { "202": { "$ref": "#/components/responses/Accepted" }, "400": { "$ref": "#/components/responses/Problem" }, "404": { "$ref": "#/components/responses/Problem" },
                           "413": { "$ref": "#/components/responses/Problem" }, "415": { "$ref": "#/components/responses/Problem" }, "502": { "$ref": "#/components/responses/Problem" } } },
          "delete": { "summary": "Remove the service: components Removing (the LLO stops them), the Service entity deleted at once", "operationId": "deleteService",
            "responses": { "202": { "$ref": "#/components/responses/Accepted" }, "400": { "$ref": "#/components/responses/Problem" }, "404": { "$ref": "#/components/responses/Problem" }, "502": { "$ref": "#/components/responses/Problem" } } }
        },
        "/alerts": {
          "post": { "summary": "An element asks for re-orchestration (aerOS ie-alert)", "operationId": "raiseAlert",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Alert" } } } },
            "responses": { "202": { "description": "The components that will be placed again", "content": { "application/json": { "schema": { "type": "object", "properties": { "infrastructureElement": { "type": "string" }, "components": { "type": "array", "items": { "type": "string" } } } } } } },
                           "400": { "$ref": "#/components/responses/Problem" }, "404": { "$ref": "#/components/responses/Problem" } } }
        },
        "/status": {
          "get": { "summary": "The HLO's counters", "operationId": "hloStatus",
            "responses": { "200": { "description": "domain, queueDepth, placed, failed, handoffs, lastRescan", "content": { "application/json": { "schema": { "type": "object" } } } } } }
        }
      },
      "components": {
        "responses": {
          "Accepted": { "description": "Accepted; the work continues in the background", "headers": { "Location": { "schema": { "type": "string" } } },
            "content": { "application/json": { "schema": { "type": "object", "required": ["id", "status"], "properties": { "id": { "type": "string" }, "status": { "type": "string", "description": "the URL of the service's status" } } } } } },
          "Problem": { "description": "RFC 9457 problem details", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
        },
        "schemas": {
          "Problem": { "type": "object", "properties": { "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" },
            "errors": { "type": "array", "items": { "type": "object", "properties": { "line": { "type": "integer" }, "column": { "type": "integer" }, "path": { "type": "string" }, "message": { "type": "string" } } } } } },
          "ServiceSummary": { "type": "object", "properties": { "id": { "type": "string" }, "domainHandler": { "type": ["string", "null"] }, "components": { "type": "integer" },
            "status": { "type": "string", "description": "one status when all components agree (Running), else counts (2 Running, 1 Starting); Empty" } } },
          "Decision": { "type": "object", "properties": { "solver": { "type": "string" }, "objective": { "type": ["number", "null"] }, "reason": { "type": "string" }, "decidedAt": { "type": "string", "format": "date-time" } } },
          "Component": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" },
            "status": { "type": "string", "enum": ["Locating", "Starting", "Running", "Migrating", "Overload", "Failed", "Finished", "Removing"] },
            "infrastructureElement": { "type": ["string", "null"] }, "domain": { "type": ["string", "null"] }, "generation": { "type": "integer" }, "statusReason": { "type": ["string", "null"] },
            "decision": { "oneOf": [ { "$ref": "#/components/schemas/Decision" }, { "type": "null" } ] } } },
          "Service": { "type": "object", "properties": { "id": { "type": "string" }, "domainHandler": { "type": ["string", "null"] }, "actionType": { "type": ["string", "null"] },
            "components": { "type": "array", "items": { "$ref": "#/components/schemas/Component" } } } },
          "Alert": { "type": "object", "required": ["infrastructureElement", "reason"], "properties": { "infrastructureElement": { "type": "string" }, "reason": { "type": "string" },
            "components": { "type": "array", "items": { "type": "string" } } } }
        }
      }
    }
    """;
}
