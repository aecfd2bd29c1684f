using System.Text.Json.Nodes;
using StreamRec.Contracts;

namespace StreamRec.Core.Tests.Contracts;

/// <summary>
/// One malformed message per row, made by mutating a valid example line, with the parse error it must give.
/// The same rows drive the JSON Schema tests, so the schema files and the parser are held to the same cases.
/// </summary>
internal static class Malformed
{
    public sealed record Case(string Name, string SchemaId, Action<JsonObject> Mutate, ParseErrorKind Expected)
    {
        public string Json()
        {
            var node = JsonNode.Parse(ContractFiles.Examples(SchemaId)[0])!.AsObject();
            Mutate(node);
            return node.ToJsonString();
        }

        public override string ToString() => Name;
    }

    private static readonly string[] UserEventSchemas = [Schemas.Click, Schemas.Review, Schemas.UserForget, Schemas.UserVectorUpdated];

    public static IReadOnlyList<Case> All { get; } = Build();

    public static IEnumerable<TheoryDataRow<string>> Names() => All.Select(c => new TheoryDataRow<string>(c.Name));

    public static Case ByName(string name) => All.Single(c => c.Name == name);

    private static List<Case> Build()
    {
        var cases = new List<Case>();
        void Add(string schemaId, string what, Action<JsonObject> mutate, ParseErrorKind expected) =>
            cases.Add(new Case($"{ContractFiles.Stem(schemaId)}: {what}", schemaId, mutate, expected));

        foreach (var schemaId in Schemas.All)
        {
            var v2 = schemaId.Replace("/v1", "/v2", StringComparison.Ordinal);
            Add(schemaId, "schema is the next version", o => o["schema"] = v2, ParseErrorKind.UnknownSchema);
            Add(schemaId, "schema is missing", o => o.Remove("schema"), ParseErrorKind.UnknownSchema);
            Add(schemaId, "schema is a number", o => o["schema"] = 1, ParseErrorKind.UnknownSchema);
            Add(schemaId, "event_id is missing", o => o.Remove("event_id"), ParseErrorKind.MissingField);
            Add(schemaId, "event_id is null", o => o["event_id"] = null, ParseErrorKind.MissingField);
            Add(schemaId, "event_id is a number", o => o["event_id"] = 17, ParseErrorKind.WrongType);
            Add(schemaId, "event_id is empty", o => o["event_id"] = "", ParseErrorKind.InvalidValue);
            Add(schemaId, "event_id is 129 characters", o => o["event_id"] = new string('e', 129), ParseErrorKind.InvalidValue);
            var time = schemaId == Schemas.Recommendations ? "generated_at" : "occurred_at";
            Add(schemaId, $"{time} is missing", o => o.Remove(time), ParseErrorKind.MissingField);
            Add(schemaId, $"{time} is not a date", o => o[time] = "yesterday", ParseErrorKind.WrongType);
            Add(schemaId, $"{time} is a Unix time number", o => o[time] = 1_763_906_381, ParseErrorKind.WrongType);
            Add(schemaId, $"{time} has month 13", o => o[time] = "2026-13-01T00:00:00Z", ParseErrorKind.WrongType);
            Add(schemaId, $"{time} is before 1970", o => o[time] = "1969-12-31T23:59:59Z", ParseErrorKind.InvalidValue);
            Add(schemaId, $"{time} is after 2200", o => o[time] = "2200-01-02T00:00:00Z", ParseErrorKind.InvalidValue);
            Add(schemaId, $"{time} is year 1", o => o[time] = "0001-01-01T00:00:00Z", ParseErrorKind.InvalidValue);
        }

        foreach (var schemaId in UserEventSchemas.Append(Schemas.Recommendations))
        {
            Add(schemaId, "user_id is missing", o => o.Remove("user_id"), ParseErrorKind.MissingField);
            Add(schemaId, "user_id is null", o => o["user_id"] = null, ParseErrorKind.MissingField);
            Add(schemaId, "user_id is a number", o => o["user_id"] = 42, ParseErrorKind.WrongType);
            Add(schemaId, "user_id is an object", o => o["user_id"] = new JsonObject { ["id"] = "u" }, ParseErrorKind.WrongType);
            Add(schemaId, "user_id is empty", o => o["user_id"] = "", ParseErrorKind.InvalidValue);
            Add(schemaId, "user_id is whitespace", o => o["user_id"] = " \t ", ParseErrorKind.InvalidValue);
            Add(schemaId, "user_id is 257 characters", o => o["user_id"] = new string('u', 257), ParseErrorKind.InvalidValue);
            Add(schemaId, "user_id has a control character", o => o["user_id"] = "user\u000742", ParseErrorKind.InvalidValue);
            Add(schemaId, "user_id has a C1 control character", o => o["user_id"] = "user\u008542", ParseErrorKind.InvalidValue);
            Add(schemaId, "user_id ends with a newline", o => o["user_id"] = "user-42\n", ParseErrorKind.InvalidValue);
        }

        foreach (var schemaId in new[] { Schemas.ItemUpserted, Schemas.ItemRetired, Schemas.Click, Schemas.Review })
        {
            Add(schemaId, "item_id is missing", o => o.Remove("item_id"), ParseErrorKind.MissingField);
            Add(schemaId, "item_id is a number", o => o["item_id"] = 1, ParseErrorKind.WrongType);
            Add(schemaId, "item_id is an array", o => o["item_id"] = new JsonArray("a"), ParseErrorKind.WrongType);
            Add(schemaId, "item_id is empty", o => o["item_id"] = "", ParseErrorKind.InvalidValue);
            Add(schemaId, "item_id is 257 characters", o => o["item_id"] = new string('i', 257), ParseErrorKind.InvalidValue);
            Add(schemaId, "item_id has a NUL", o => o["item_id"] = "movie\u00001", ParseErrorKind.InvalidValue);
        }

        foreach (var schemaId in new[] { Schemas.ItemUpserted, Schemas.ItemRetired })
        {
            Add(schemaId, "version is negative", o => o["version"] = -1, ParseErrorKind.InvalidValue);
            Add(schemaId, "version is a string", o => o["version"] = "1", ParseErrorKind.WrongType);
            Add(schemaId, "version is fractional", o => o["version"] = 1.5, ParseErrorKind.WrongType);
            Add(schemaId, "version overflows 64 bits", o => o["version"] = JsonNode.Parse("9223372036854775808"), ParseErrorKind.WrongType);
        }

        var item = Schemas.ItemUpserted;
        Add(item, "title is missing", o => o.Remove("title"), ParseErrorKind.MissingField);
        Add(item, "title is null", o => o["title"] = null, ParseErrorKind.MissingField);
        Add(item, "title is a number", o => o["title"] = 3, ParseErrorKind.WrongType);
        Add(item, "title is 1,001 characters", o => o["title"] = new string('t', 1_001), ParseErrorKind.TextTooLong);
        Add(item, "text is 20,001 characters", o => o["text"] = new string('w', 20_001), ParseErrorKind.TextTooLong);
        Add(item, "text is a number", o => o["text"] = 3, ParseErrorKind.WrongType);
        Add(item, "tags is a string", o => o["tags"] = "Comedy", ParseErrorKind.WrongType);
        Add(item, "tags holds a number", o => o["tags"] = new JsonArray("Comedy", 3), ParseErrorKind.WrongType);
        Add(item, "tags holds a null", o => o["tags"] = new JsonArray("Comedy", null), ParseErrorKind.InvalidValue);
        Add(item, "65 tags", o => o["tags"] = new JsonArray(Enumerable.Range(0, 65).Select(i => (JsonNode?)JsonValue.Create($"t{i}")).ToArray()), ParseErrorKind.InvalidValue);
        Add(item, "a tag of 101 characters", o => o["tags"] = new JsonArray("ok", new string('g', 101)), ParseErrorKind.InvalidValue);
        Add(item, "published_at is not a date", o => o["published_at"] = "soon", ParseErrorKind.WrongType);
        Add(item, "published_at is before 1970", o => o["published_at"] = "1895-12-28T00:00:00+01:00", ParseErrorKind.InvalidValue);

        var click = Schemas.Click;
        Add(click, "context is an array", o => o["context"] = new JsonArray("home"), ParseErrorKind.WrongType);
        Add(click, "context has a number value", o => o["context"] = new JsonObject { ["position"] = 3 }, ParseErrorKind.WrongType);
        Add(click, "context has 33 entries", o => o["context"] = new JsonObject(Enumerable.Range(0, 33).Select(i => KeyValuePair.Create($"k{i}", (JsonNode?)JsonValue.Create("v")))), ParseErrorKind.InvalidValue);

        var review = Schemas.Review;
        Add(review, "rating is -0.5", o => o["rating"] = -0.5, ParseErrorKind.InvalidValue);
        Add(review, "rating is 5.5", o => o["rating"] = 5.5, ParseErrorKind.InvalidValue);
        Add(review, "rating is 10", o => o["rating"] = 10, ParseErrorKind.InvalidValue);
        Add(review, "rating is a string", o => o["rating"] = "5", ParseErrorKind.WrongType);
        Add(review, "rating is a boolean", o => o["rating"] = true, ParseErrorKind.WrongType);
        Add(review, "text is 20,001 characters", o => o["text"] = new string('r', 20_001), ParseErrorKind.TextTooLong);

        var vector = Schemas.UserVectorUpdated;
        Add(vector, "version is missing", o => o.Remove("version"), ParseErrorKind.MissingField);
        Add(vector, "version is a string", o => o["version"] = "3", ParseErrorKind.WrongType);
        Add(vector, "forgotten is a string", o => o["forgotten"] = "yes", ParseErrorKind.WrongType);
        Add(vector, "trigger is missing", o => o.Remove("trigger"), ParseErrorKind.MissingField);
        Add(vector, "trigger is a string", o => o["trigger"] = "rev-1", ParseErrorKind.WrongType);
        Add(vector, "trigger.event_id is missing", o => o["trigger"]!.AsObject().Remove("event_id"), ParseErrorKind.MissingField);
        Add(vector, "trigger.event_id is empty", o => o["trigger"]!["event_id"] = "", ParseErrorKind.InvalidValue);
        Add(vector, "trigger.event_id is 129 characters", o => o["trigger"]!["event_id"] = new string('t', 129), ParseErrorKind.InvalidValue);
        Add(vector, "trigger.occurred_at is missing", o => o["trigger"]!.AsObject().Remove("occurred_at"), ParseErrorKind.MissingField);
        Add(vector, "trigger.partition overflows 32 bits", o => o["trigger"]!["partition"] = 2_147_483_648L, ParseErrorKind.WrongType);

        var recs = Schemas.Recommendations;
        Add(recs, "strategy is missing", o => o.Remove("strategy"), ParseErrorKind.MissingField);
        Add(recs, "strategy is a number", o => o["strategy"] = 1, ParseErrorKind.WrongType);
        Add(recs, "trigger is missing", o => o.Remove("trigger"), ParseErrorKind.MissingField);
        Add(recs, "items is missing", o => o.Remove("items"), ParseErrorKind.MissingField);
        Add(recs, "items is null", o => o["items"] = null, ParseErrorKind.MissingField);
        Add(recs, "items is an object", o => o["items"] = new JsonObject(), ParseErrorKind.WrongType);
        Add(recs, "an item has no rank", o => o["items"]![0]!.AsObject().Remove("rank"), ParseErrorKind.MissingField);
        Add(recs, "an item has no item_id", o => o["items"]![0]!.AsObject().Remove("item_id"), ParseErrorKind.MissingField);
        Add(recs, "an item's score is a string", o => o["items"]![0]!["score"] = "high", ParseErrorKind.WrongType);
        Add(recs, "an item's rank is fractional", o => o["items"]![0]!["rank"] = 1.5, ParseErrorKind.WrongType);
        Add(recs, "an item's reasons is a string", o => o["items"]![0]!["reasons"] = "fresh", ParseErrorKind.WrongType);

        return cases;
    }
}
