using System.Globalization;
using System.Text.Json.Nodes;
using Aeros.Broker.Errors;

namespace Aeros.Broker.Entities;

/// <summary>
/// The <c>lang</c> parameter (§4.15): a tag, a list, or a weighted list like <c>fr-CH,fr;q=0.9,*;q=0.5</c>.
/// Picks, for each LanguageProperty, the best available language, falling back to any.
/// </summary>
internal sealed class LanguageFilter
{
    private readonly string[] _tags;

    private LanguageFilter(string[] tags) => _tags = tags;

    public static LanguageFilter Parse(string text)
    {
        var weighted = new List<(string Tag, double Weight, int Order)>();
        var order = 0;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(';', StringSplitOptions.TrimEntries);
            var tag = pieces[0];
            var weight = 1.0;
            if (pieces.Length > 2 || tag.Length == 0 || !(tag == "*" || tag.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
            {
                throw NgsiLdException.BadRequestData($"'{part}' in lang is not a language tag (RFC 5646) with an optional ;q= weight.");
            }
            if (pieces.Length == 2)
            {
                if (!pieces[1].StartsWith("q=", StringComparison.Ordinal)
                    || !double.TryParse(pieces[1].AsSpan(2), NumberStyles.Float, CultureInfo.InvariantCulture, out weight) || weight is < 0 or > 1)
                {
                    throw NgsiLdException.BadRequestData($"'{part}' in lang has an invalid weight; use ;q= with a number from 0 to 1.");
                }
            }
            weighted.Add((tag, weight, order++));
        }
        return new LanguageFilter([.. weighted.OrderByDescending(w => w.Weight).ThenBy(w => w.Order).Select(w => w.Tag)]);
    }

    /// <summary>The value and tag of the best language in the map.</summary>
    public (JsonNode? Value, string Tag) Pick(JsonObject? languageMap)
    {
        if (languageMap is null || languageMap.Count == 0)
        {
            return (null, "@none");
        }
        foreach (var tag in _tags)
        {
            if (tag == "*")
            {
                break;
            }
            foreach (var (key, value) in languageMap)
            {
                if (string.Equals(key, tag, StringComparison.OrdinalIgnoreCase))
                {
                    return (value?.DeepClone(), key);
                }
            }
            // A broader tag matches a more specific one ("fr" picks "fr-CH").
            foreach (var (key, value) in languageMap)
            {
                if (key.StartsWith(tag + "-", StringComparison.OrdinalIgnoreCase))
                {
                    return (value?.DeepClone(), key);
                }
            }
        }
        var first = languageMap.First();
        return (first.Value?.DeepClone(), first.Key);
    }
}
