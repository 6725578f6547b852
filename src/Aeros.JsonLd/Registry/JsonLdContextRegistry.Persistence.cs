using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Aeros.JsonLd.Registry;

/// <summary>Hosted contexts as files in <see cref="JsonLdOptions.DataDirectory"/>, one per context.</summary>
internal sealed partial class JsonLdContextRegistry
{
    private sealed record PersistedContext(string LocalId, DateTimeOffset CreatedAt, string Body);

    private static readonly JsonSerializerOptions PersistedJson = new(JsonSerializerDefaults.Web);

    private void LoadPersisted()
    {
        if (_options.DataDirectory is not { } directory)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        var loaded = 0;
        foreach (var file in Directory.EnumerateFiles(directory, "*" + PersistedFileExtension))
        {
            try
            {
                var stored = JsonSerializer.Deserialize<PersistedContext>(File.ReadAllText(file), PersistedJson);
                if (stored is null || !IsSafeLocalId(stored.LocalId) || stored.Body is null)
                {
                    LogPersistedSkipped(_logger, file, "not a stored context");
                    continue;
                }

                var context = ParseContextDocument(stored.Body, file);
                _byId[stored.LocalId] = new RegistryEntry(
                    LocalPathPrefix + stored.LocalId, stored.LocalId, JsonLdContextKind.Hosted, stored.CreatedAt, stored.Body, context, expiresAt: null);
                loaded++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or JsonLdException)
            {
                LogPersistedSkipped(_logger, file, e.Message);
            }
        }

        LogPersistedLoaded(_logger, loaded, directory);
    }

    private async Task PersistAsync(RegistryEntry entry, CancellationToken cancellationToken)
    {
        if (_options.DataDirectory is not { } directory)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, entry.LocalId + PersistedFileExtension);
        var temporary = path + ".tmp";
        var json = JsonSerializer.Serialize(new PersistedContext(entry.LocalId, entry.CreatedAt, entry.BodyJson), PersistedJson);
        await File.WriteAllTextAsync(temporary, json, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    private void DeletePersisted(string localId)
    {
        if (_options.DataDirectory is not { } directory)
        {
            return;
        }

        try
        {
            File.Delete(Path.Combine(directory, localId + PersistedFileExtension));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogPersistedDeleteFailed(_logger, localId, e.Message);
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Loaded {Count} hosted @context(s) from {Directory}")]
    private static partial void LogPersistedLoaded(ILogger logger, int count, string directory);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Skipped stored @context file {File}: {Reason}")]
    private static partial void LogPersistedSkipped(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Could not delete the stored file of @context {LocalId}: {Reason}")]
    private static partial void LogPersistedDeleteFailed(ILogger logger, string localId, string reason);
}
