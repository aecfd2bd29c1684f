namespace StreamRec.Contracts;

/// <summary>
/// The stable codes that start every dead letter's <c>error</c> header (<c>Code: plain message naming the field</c>).
/// Operators and tools match on the code; the message after it may be reworded. The table in contracts/README.md lists
/// them, and the tests pin each one.
/// </summary>
public static class DeadLetterCodes
{
    /// <summary>The message is larger than the limit (StreamRec:Kafka:MaxMessageBytes / StreamRec:Limits:MaxMessageBytes).</summary>
    public const string TooLarge = nameof(ParseErrorKind.TooLarge);

    /// <summary>The bytes are not UTF-8.</summary>
    public const string InvalidUtf8 = nameof(ParseErrorKind.InvalidUtf8);

    /// <summary>Not JSON, not an object, or nested too deep.</summary>
    public const string MalformedJson = nameof(ParseErrorKind.MalformedJson);

    /// <summary>No schema, or one this version does not know.</summary>
    public const string UnknownSchema = nameof(ParseErrorKind.UnknownSchema);

    /// <summary>A required field is absent or null.</summary>
    public const string MissingField = nameof(ParseErrorKind.MissingField);

    /// <summary>A field has the wrong JSON type (or a time is not an RFC 3339 date-time).</summary>
    public const string WrongType = nameof(ParseErrorKind.WrongType);

    /// <summary>A text field is over its limit.</summary>
    public const string TextTooLong = nameof(ParseErrorKind.TextTooLong);

    /// <summary>A value is out of range.</summary>
    public const string InvalidValue = nameof(ParseErrorKind.InvalidValue);

    /// <summary>A valid message of a kind that does not belong on the topic it was read from.</summary>
    public const string WrongTopic = nameof(WrongTopic);

    /// <summary>A non-empty message key that differs from the event's user_id or item_id.</summary>
    public const string KeyMismatch = nameof(KeyMismatch);

    /// <summary>occurred_at further ahead of the processing clock than StreamRec:Profile:MaxFutureSkew.</summary>
    public const string FutureTimestamp = nameof(FutureTimestamp);

    /// <summary>A click or review whose item was not indexed within the parking bounds.</summary>
    public const string ItemNotIndexed = nameof(ItemNotIndexed);

    /// <summary>The service failed on this message alone for a reason of its own (not the message's).</summary>
    public const string HandlerError = nameof(HandlerError);

    /// <summary>Every code, in the order of the table in contracts/README.md.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        TooLarge, InvalidUtf8, MalformedJson, UnknownSchema, MissingField, WrongType, TextTooLong, InvalidValue,
        WrongTopic, KeyMismatch, FutureTimestamp, ItemNotIndexed, HandlerError,
    ];
}
