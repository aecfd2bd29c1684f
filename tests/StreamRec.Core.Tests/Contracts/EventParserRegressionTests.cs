using System.Text;
using StreamRec.Contracts;

namespace StreamRec.Core.Tests.Contracts;

/// <summary>Regressions for parser bugs the property tests found: each case once threw or was accepted wrongly.</summary>
public sealed class EventParserRegressionTests
{
    private const string ValidClick = """{"schema":"streamrec.click/v1","event_id":"e1","occurred_at":"2026-11-23T13:59:41Z","user_id":"u","item_id":"i"}""";

    /// <summary>Bug 1: <c>schemaElement.GetString()</c> runs outside any try, and throws InvalidOperationException for
    /// invalid UTF-16, so one message crashes the caller instead of being dead-lettered.</summary>
    [Theory]
    [InlineData("\\ud800")]
    [InlineData("\\udc00")]
    [InlineData("streamrec.click/v1\\ud83d")]
    public void Parse_LoneSurrogateEscapeInSchema_IsUnknownSchema_NotAnException(string escape)
    {
        var json = ValidClick.Replace("streamrec.click/v1", escape, StringComparison.Ordinal);

        var result = EventParser.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Equal(ParseErrorKind.UnknownSchema, result.Error?.Kind);
    }

    /// <summary>Bug 2: a lone surrogate in an id is a string with an invalid value, yet it is reported as WrongType,
    /// because System.Text.Json refuses it (JsonException wrapping InvalidOperationException) before the id check.</summary>
    [Theory]
    [InlineData("user_id", "\\ud800")]
    [InlineData("item_id", "a\\udc00b")]
    [InlineData("event_id", "\\ud83d")]
    public void Parse_LoneSurrogateEscapeInAnId_IsInvalidValue(string field, string escape)
    {
        var json = ValidClick.Replace($"\"{field}\":\"", $"\"{field}\":\"{escape}", StringComparison.Ordinal);

        var result = EventParser.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Equal(ParseErrorKind.InvalidValue, result.Error?.Kind);
        Assert.Contains(field, result.Error!.Message, StringComparison.Ordinal);
    }

    /// <summary>Bug 3: a timestamp without a UTC offset (or a bare date) is accepted and read in the consuming host's
    /// local time zone, so the same event means different instants on different machines. The JSON Schemas (RFC 3339
    /// date-time) refuse these.</summary>
    [Theory]
    [InlineData("2026-11-23T13:59:41")]
    [InlineData("2026-11-23T13:59:41.123")]
    [InlineData("2026-11-23")]
    public void Parse_TimestampWithoutAnOffset_IsRefused(string timestamp)
    {
        var json = ValidClick.Replace("2026-11-23T13:59:41Z", timestamp, StringComparison.Ordinal);

        var result = EventParser.Parse(Encoding.UTF8.GetBytes(json));

        Assert.False(result.IsSuccess, "an offset-less timestamp was accepted");
        Assert.Contains(result.Error!.Kind, new[] { ParseErrorKind.WrongType, ParseErrorKind.InvalidValue });
    }

    /// <summary>Bug 4 (minor): <c>context</c> is declared <c>IReadOnlyDictionary&lt;string, string&gt;</c> and the schema
    /// says string values, but a null value is accepted (nullability is not enforced on collection elements).</summary>
    [Fact]
    public void Parse_NullContextValue_IsInvalidValue()
    {
        var json = ValidClick.TrimEnd('}') + ",\"context\":{\"surface\":null}}";

        Assert.Equal(ParseErrorKind.InvalidValue, EventParser.Parse(Encoding.UTF8.GetBytes(json)).Error?.Kind);
    }

    /// <summary>Bug 5: <c>"items":[null]</c> parses into a <see cref="RecommendationList"/> whose Items holds a null
    /// (element nullability is not enforced), so a downstream consumer iterating the list gets a NullReferenceException.
    /// Same for a null in an item's <c>reasons</c>. The schema refuses both.</summary>
    [Theory]
    [InlineData("[null]")]
    [InlineData("[{\"item_id\":\"a\",\"score\":1,\"rank\":1,\"reasons\":[null]}]")]
    public void Parse_NullInsideRecommendationItems_IsInvalidValue(string items)
    {
        var json = "{\"schema\":\"streamrec.recommendations/v1\",\"event_id\":\"r\",\"user_id\":\"u\",\"generated_at\":\"2026-11-23T13:59:41Z\","
                   + "\"strategy\":\"trending\",\"trigger\":{\"event_id\":\"e\",\"occurred_at\":\"2026-11-23T13:59:41Z\"},\"items\":" + items + "}";

        Assert.Equal(ParseErrorKind.InvalidValue, EventParser.Parse(Encoding.UTF8.GetBytes(json)).Error?.Kind);
    }
}
