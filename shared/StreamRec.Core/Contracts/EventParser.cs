using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;

namespace StreamRec.Contracts;

/// <summary>Why an untrusted message was refused. Each kind is a reason to dead-letter, never to crash.</summary>
public enum ParseErrorKind
{
    /// <summary>More bytes than <see cref="ParseLimits.MaxMessageBytes"/>.</summary>
    TooLarge,
    /// <summary>Not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary>Not JSON, or not a JSON object.</summary>
    MalformedJson,
    /// <summary>No <c>schema</c>, or one this version does not know.</summary>
    UnknownSchema,
    /// <summary>A required field is absent or null.</summary>
    MissingField,
    /// <summary>A field has the wrong JSON type.</summary>
    WrongType,
    /// <summary>A text field exceeds its limit.</summary>
    TextTooLong,
    /// <summary>A value is out of range (empty id, rating outside 0..5, date out of range...).</summary>
    InvalidValue,
}

/// <param name="Kind">What went wrong.</param>
/// <param name="Message">A sentence for the dead-letter header and logs (never echoes more than a few characters of input).</param>
public sealed record ParseError(ParseErrorKind Kind, string Message)
{
    public override string ToString() => $"{Kind}: {Message}";
}

/// <summary>Either an event or the reason there is none.</summary>
public readonly record struct ParseResult(IStreamRecEvent? Event, ParseError? Error)
{
    public bool IsSuccess => Event is not null;

    public static ParseResult Ok(IStreamRecEvent e) => new(e, null);

    public static ParseResult Fail(ParseErrorKind kind, string message) => new(null, new ParseError(kind, message));
}

/// <summary>Limits that keep one producer from exhausting memory. Defaults suit reviews and item descriptions.</summary>
public sealed record ParseLimits
{
    /// <summary>Configuration section the services bind these limits from.</summary>
    public const string SectionName = "StreamRec:Limits";

    /// <summary>Largest message accepted, in bytes. Default 1 MiB.</summary>
    public int MaxMessageBytes { get; init; } = 1 << 20;

    /// <summary>Longest id (user, item, event), in characters. Default 256.</summary>
    public int MaxIdLength { get; init; } = 256;

    /// <summary>Longest title, in characters. Default 1,000.</summary>
    public int MaxTitleLength { get; init; } = 1_000;

    /// <summary>Longest free text (item text, review text), in characters. Default 20,000.</summary>
    public int MaxTextLength { get; init; } = 20_000;

    /// <summary>Most tags per item. Default 64; each at most 100 characters.</summary>
    public int MaxTags { get; init; } = 64;

    /// <summary>Default limits.</summary>
    public static ParseLimits Default { get; } = new();
}

/// <summary>
/// Parses untrusted message bytes into typed events. Never throws for bad input: every failure is a
/// <see cref="ParseError"/> that says what is wrong, so the caller can dead-letter the message and move on.
/// </summary>
public static class EventParser
{
    private static readonly DateTimeOffset MinTime = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset MaxTime = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16 };

    /// <summary>Parses one message.</summary>
    public static ParseResult Parse(ReadOnlySpan<byte> utf8, ParseLimits? limits = null)
    {
        limits ??= ParseLimits.Default;
        if (utf8.Length > limits.MaxMessageBytes)
        {
            return ParseResult.Fail(ParseErrorKind.TooLarge, $"message is {utf8.Length} bytes, the limit is {limits.MaxMessageBytes}");
        }

        // RFC 8259 §8.1: a parser may ignore a byte-order mark, and some producers (Windows tools, a few JVM writers) send one.
        if (utf8.StartsWith(Utf8Bom))
        {
            utf8 = utf8[Utf8Bom.Length..];
        }

        if (!Utf8.IsValid(utf8))
        {
            return ParseResult.Fail(ParseErrorKind.InvalidUtf8, "message is not valid UTF-8");
        }

        JsonDocument document;
        try
        {
            // JsonDocument over a copy: the parser must not keep references into the caller's buffer.
            document = JsonDocument.Parse(utf8.ToArray(), DocumentOptions);
        }
        catch (JsonException ex)
        {
            return ParseResult.Fail(ParseErrorKind.MalformedJson, $"malformed JSON: {Short(ex.Message)}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ParseResult.Fail(ParseErrorKind.MalformedJson, $"expected a JSON object, got {root.ValueKind}");
            }

            if (!root.TryGetProperty("schema", out var schemaElement) || schemaElement.ValueKind != JsonValueKind.String)
            {
                return ParseResult.Fail(ParseErrorKind.UnknownSchema, "missing string field 'schema'");
            }

            // Compared as UTF-8 bytes: GetString would throw on an escaped lone surrogate.
            var typeInfo = TypeInfoFor(schemaElement);
            if (typeInfo is null)
            {
                return ParseResult.Fail(ParseErrorKind.UnknownSchema, $"unknown schema '{SafeText(schemaElement, 64)}'; this version understands {string.Join(", ", Schemas.All)}");
            }

            IStreamRecEvent? parsed;
            try
            {
                parsed = (IStreamRecEvent?)root.Deserialize(typeInfo);
            }
            catch (JsonException ex) when (ex.InnerException is InvalidOperationException inner && inner.Message.Contains("UTF-16", StringComparison.Ordinal))
            {
                // System.Text.Json refuses strings that are not valid UTF-16 (an escaped lone surrogate) before our checks run.
                return ParseResult.Fail(ParseErrorKind.InvalidValue, $"{FieldOf(ex.Path) ?? "a field"} contains an invalid (lone surrogate) string");
            }
            catch (JsonException ex)
            {
                return DescribeDeserializationError(ex, root);
            }
            catch (InvalidOperationException)
            {
                return ParseResult.Fail(ParseErrorKind.WrongType, "a field has a value of the wrong type");
            }

            if (parsed is null)
            {
                return ParseResult.Fail(ParseErrorKind.MalformedJson, "message is JSON null");
            }

            var error = Validate(parsed, limits);
            return error is null ? ParseResult.Ok(parsed) : new ParseResult(null, error);
        }
    }

    /// <summary>
    /// Whether <paramref name="utf8"/> is a JSON object whose top-level <c>schema</c> is <paramref name="schema"/>, read
    /// without parsing the rest: a consumer that wants one kind of a topic's messages (trending wants clicks, not the
    /// reviews beside them) skips the others for the cost of a few tokens. Anything malformed is false; a message this
    /// accepts still goes through <see cref="Parse"/>, which validates it.
    /// </summary>
    public static bool HasSchema(ReadOnlySpan<byte> utf8, string schema)
    {
        if (utf8.StartsWith(Utf8Bom))
        {
            utf8 = utf8[Utf8Bom.Length..];
        }

        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = DocumentOptions.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isSchema = reader.ValueTextEquals("schema"u8);
                if (!reader.Read())
                {
                    return false;
                }

                if (isSchema)
                {
                    return reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(schema);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        catch (InvalidOperationException)
        {
            // A lone surrogate in an escaped string: no schema id looks like that.
        }

        return false;
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Turns System.Text.Json's error into a reason a producer can act on: the field's name and what it must be, never
    /// .NET type names (<c>WrongType: event_id must be a string</c>, <c>MissingField: user_id is required</c>).
    /// </summary>
    private static ParseResult DescribeDeserializationError(JsonException ex, JsonElement root)
    {
        const string missingMarker = "missing required properties including: ";
        var missingAt = ex.Message.IndexOf(missingMarker, StringComparison.Ordinal);
        if (missingAt >= 0)
        {
            var names = ex.Message[(missingAt + missingMarker.Length)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(n => n.Trim('\'', '.', ' ')).Where(n => n.Length > 0).ToArray();
            return ParseResult.Fail(ParseErrorKind.MissingField, names.Length == 1 ? $"{names[0]} is required" : $"{string.Join(", ", names)} are required");
        }

        var field = FieldOf(ex.Path);
        if (field is null)
        {
            return ParseResult.Fail(ParseErrorKind.WrongType, "a field has a value of the wrong type");
        }

        if (IsNull(root, ex.Path!))
        {
            return ParseResult.Fail(ParseErrorKind.MissingField, $"{field} is required and must not be null");
        }

        return ParseResult.Fail(ParseErrorKind.WrongType, $"{field} must be {ExpectedType(field)}");
    }

    /// <summary>"$.trigger.event_id" → "trigger.event_id"; null for the root or no path.</summary>
    private static string? FieldOf(string? path) =>
        path is null || path.Length <= 2 || !path.StartsWith("$.", StringComparison.Ordinal) ? null : path[2..];

    private static bool IsNull(JsonElement root, string path)
    {
        var current = root;
        foreach (var segment in path[2..].Split('.'))
        {
            var name = segment;
            var index = -1;
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            if (bracket >= 0)
            {
                name = segment[..bracket];
                _ = int.TryParse(segment.AsSpan(bracket + 1, segment.Length - bracket - 2), System.Globalization.CultureInfo.InvariantCulture, out index);
            }

            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return false;
            }

            if (index >= 0)
            {
                if (current.ValueKind != JsonValueKind.Array || index >= current.GetArrayLength())
                {
                    return false;
                }

                current = current[index];
            }
        }

        return current.ValueKind == JsonValueKind.Null;
    }

    /// <summary>What a field must be, in the contract's words.</summary>
    private static string ExpectedType(string field)
    {
        var isElement = field.EndsWith(']');
        var last = field[(field.LastIndexOf('.') + 1)..];
        var name = last.Contains('[', StringComparison.Ordinal) ? last[..last.IndexOf('[', StringComparison.Ordinal)] : last;
        if (field.StartsWith("context.", StringComparison.Ordinal))
        {
            return "a string";
        }

        return (name, isElement) switch
        {
            ("tags" or "reasons", true) => "a string",
            ("tags" or "reasons", false) => "an array of strings",
            ("items", true) => "an object",
            ("items", false) => "an array of objects",
            ("context", _) => "an object of string values",
            ("trigger", _) => "an object",
            ("occurred_at" or "published_at" or "generated_at" or "received_at", _) => StrictDateTimeOffsetConverter.Expected,
            ("rating" or "score", _) => "a number",
            ("version" or "offset" or "partition" or "rank", _) => "a whole number",
            ("forgotten", _) => "true or false",
            _ => "a string",
        };
    }

    /// <summary>Serializes any event with the source-generated context.</summary>
    public static byte[] Serialize(IStreamRecEvent e) => e switch
    {
        ItemUpserted x => JsonSerializer.SerializeToUtf8Bytes(x, ContractsJsonContext.Default.ItemUpserted),
        ItemRetired x => JsonSerializer.SerializeToUtf8Bytes(x, ContractsJsonContext.Default.ItemRetired),
        Click x => JsonSerializer.SerializeToUtf8Bytes(x, ContractsJsonContext.Default.Click),
        Review x => JsonSerializer.SerializeToUtf8Bytes(x, ContractsJsonContext.Default.Review),
        UserForget x => JsonSerializer.SerializeToUtf8Bytes(x, ContractsJsonContext.Default.UserForget),
        UserVectorUpdated x => JsonSerializer.SerializeToUtf8Bytes(x, ContractsJsonContext.Default.UserVectorUpdated),
        RecommendationList x => JsonSerializer.SerializeToUtf8Bytes(x, ContractsJsonContext.Default.RecommendationList),
        _ => throw new ArgumentException($"not a StreamRec event type: {e.GetType().Name}", nameof(e)),
    };

    private static JsonTypeInfo? TypeInfoFor(JsonElement schema)
    {
        try
        {
            foreach (var (id, typeInfo) in TypeInfos)
            {
                if (schema.ValueEquals(id))
                {
                    return typeInfo;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Not valid UTF-16 once unescaped (a lone surrogate): no schema id looks like that.
        }

        return null;
    }

    private static readonly (string Schema, JsonTypeInfo TypeInfo)[] TypeInfos =
    [
        (Schemas.ItemUpserted, ContractsJsonContext.Default.ItemUpserted),
        (Schemas.ItemRetired, ContractsJsonContext.Default.ItemRetired),
        (Schemas.Click, ContractsJsonContext.Default.Click),
        (Schemas.Review, ContractsJsonContext.Default.Review),
        (Schemas.UserForget, ContractsJsonContext.Default.UserForget),
        (Schemas.UserVectorUpdated, ContractsJsonContext.Default.UserVectorUpdated),
        (Schemas.Recommendations, ContractsJsonContext.Default.RecommendationList),
    ];

    private static string SafeText(JsonElement element, int max)
    {
        try
        {
            return Short(element.GetString() ?? "", max);
        }
        catch (InvalidOperationException)
        {
            return "(not valid UTF-16)";
        }
    }

    private static ParseError? Validate(IStreamRecEvent e, ParseLimits limits)
    {
        var error = Id("event_id", e.EventId, 128)
                    ?? Time("occurred_at", e.OccurredAt);
        if (error is not null)
        {
            return error;
        }

        return e switch
        {
            ItemUpserted x => Id("item_id", x.ItemId, limits.MaxIdLength)
                              ?? Text("title", x.Title, limits.MaxTitleLength)
                              ?? Text("text", x.Text, limits.MaxTextLength)
                              ?? TagList(x.Tags, limits)
                              ?? (x.PublishedAt is { } p ? Time("published_at", p) : null)
                              ?? (x.Version is < 0 ? Invalid("version must not be negative") : null),
            ItemRetired x => Id("item_id", x.ItemId, limits.MaxIdLength)
                             ?? (x.Version is < 0 ? Invalid("version must not be negative") : null),
            Click x => Id("user_id", x.UserId, limits.MaxIdLength) ?? Id("item_id", x.ItemId, limits.MaxIdLength)
                       ?? (x.Context is { Count: > 32 } ? Invalid("context has more than 32 entries") : null)
                       ?? (x.Context is not null && x.Context.Any(kv => kv.Value is null) ? Invalid("context values must be strings, not null") : null),
            Review x => Id("user_id", x.UserId, limits.MaxIdLength) ?? Id("item_id", x.ItemId, limits.MaxIdLength)
                        ?? Text("text", x.Text, limits.MaxTextLength)
                        ?? (x.Rating is { } r && (!double.IsFinite(r) || r < 0 || r > 5) ? Invalid("rating must be between 0 and 5") : null),
            UserForget x => Id("user_id", x.UserId, limits.MaxIdLength),
            UserVectorUpdated x => Id("user_id", x.UserId, limits.MaxIdLength) ?? Id("trigger.event_id", x.Trigger.EventId, 128),
            RecommendationList x => Id("user_id", x.UserId, limits.MaxIdLength)
                                    ?? (x.Items.Any(i => i is null || i.Reasons is null || i.Reasons.Any(r => r is null)) ? Invalid("items and their reasons must not contain null") : null),
            _ => null,
        };
    }

    private static ParseError? Id(string field, string value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return new ParseError(ParseErrorKind.InvalidValue, $"{field} is empty");
        }

        if (value.Length > maxLength)
        {
            return new ParseError(ParseErrorKind.InvalidValue, $"{field} is {value.Length} characters, the limit is {maxLength}");
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                return new ParseError(ParseErrorKind.InvalidValue, $"{field} contains a control character");
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return new ParseError(ParseErrorKind.InvalidValue, $"{field} contains a lone surrogate");
            }
        }

        return null;
    }

    private static ParseError? Text(string field, string? value, int maxLength) =>
        value is not null && value.Length > maxLength
            ? new ParseError(ParseErrorKind.TextTooLong, $"{field} is {value.Length} characters, the limit is {maxLength}")
            : null;

    private static ParseError? TagList(IReadOnlyList<string>? tags, ParseLimits limits)
    {
        if (tags is null)
        {
            return null;
        }

        if (tags.Count > limits.MaxTags)
        {
            return new ParseError(ParseErrorKind.InvalidValue, $"{tags.Count} tags, the limit is {limits.MaxTags}");
        }

        foreach (var tag in tags)
        {
            if (tag is null || tag.Length > 100)
            {
                return new ParseError(ParseErrorKind.InvalidValue, "a tag is null or longer than 100 characters");
            }
        }

        return null;
    }

    private static ParseError? Time(string field, DateTimeOffset value) =>
        value < MinTime || value > MaxTime
            ? new ParseError(ParseErrorKind.InvalidValue, $"{field} {value:O} is outside 1970..2200")
            : null;

    private static ParseError Invalid(string message) => new(ParseErrorKind.InvalidValue, message);

    private static string Short(string s, int max = 200) => s.Length <= max ? s : string.Concat(s.AsSpan(0, max), "…");
}
