using System.Text;
using StreamRec.Contracts;

namespace StreamRec.Core.Tests.Contracts;

/// <summary><see cref="EventParser.HasSchema"/>: the trending reader's cheap look at a message's kind.</summary>
public sealed class HasSchemaTests
{
    private static bool Has(string json, string schema = Schemas.Click) => EventParser.HasSchema(Encoding.UTF8.GetBytes(json), schema);

    [Fact]
    public void EverySerializedEvent_HasItsOwnSchema_AndNoOther()
    {
        foreach (var e in SampleEvents.All())
        {
            var bytes = EventParser.Serialize(e);
            foreach (var schema in Schemas.All)
            {
                Assert.Equal(schema == e.Schema, EventParser.HasSchema(bytes, schema));
            }
        }
    }

    [Fact]
    public void TheSchemaIsFoundWhereverItStandsAtTheTop_NotInsideANestedObject_AndEscapesAreReadAsTheParserReadsThem()
    {
        Assert.True(Has("""{"event_id":"e","context":{"schema":"x","a":[1,{"b":2}]},"schema":"streamrec.click/v1"}"""));
        Assert.False(Has("""{"context":{"schema":"streamrec.click/v1"},"schema":"streamrec.review/v1"}"""));
        Assert.False(Has("""{"context":{"schema":"streamrec.click/v1"}}"""));
        Assert.True(Has("""{"schema":"streamrec.click\/v1"}"""));
        Assert.True(Has("\uFEFF" + """{"schema":"streamrec.click/v1"}"""));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{not json")]
    [InlineData("""["schema","streamrec.click/v1"]""")]
    [InlineData("""{"schema":1}""")]
    [InlineData("""{"schema":"\ud800"}""")]
    public void AnythingElse_IsFalse(string json) => Assert.False(Has(json));

    [Fact]
    public void ATruncatedMessage_WhoseSchemaComesFirst_IsStillAClickHere_TheParserRefusesItAfterwards()
    {
        const string truncated = """{"schema":"streamrec.click/v1","event_id":"e","user_id":""";
        Assert.True(Has(truncated));
        Assert.NotNull(EventParser.Parse(Encoding.UTF8.GetBytes(truncated)).Error);
    }
}
