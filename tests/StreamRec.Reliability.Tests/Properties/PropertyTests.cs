using System.Reflection;

using FsCheck;
using FsCheck.Fluent;
using StreamRec.Contracts;
using StreamRec.VectorStore.Qdrant;

namespace StreamRec.Reliability.Tests.Properties;

/// <summary>
/// Properties of the two functions every hostile byte and every id goes through. (FsCheck's runner is called from
/// plain facts: FsCheck.Xunit.v3 3.6.0 pulls xunit.v3 4.x, which conflicts with the repository's xunit.v3 3.2.2.)
/// </summary>
public sealed class PropertyTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(500);

    private static readonly byte[][] ValidMessages =
    [
        EventParser.Serialize(new Click { EventId = "e1", OccurredAt = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_000), UserId = "u1", ItemId = "i1" }),
        EventParser.Serialize(new Review { EventId = "e2", OccurredAt = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_000), UserId = "u1", ItemId = "i1", Rating = 4.5, Text = "great" }),
        EventParser.Serialize(new ItemUpserted { EventId = "e3", OccurredAt = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_000), ItemId = "i1", Title = "t", Text = "x", Tags = ["a"] }),
    ];

    [Fact]
    public void Parse_AnyBytes_AnswersWithoutThrowing() =>
        Check.One(Quick, Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes => Answers(bytes)));

    [Fact]
    public void Parse_ValidMessagesWithCorruptedBytes_AnswersWithoutThrowing()
    {
        // Bit rot and truncation of real messages reach deeper into the parser than random bytes do.
        var corrupted =
            from message in Gen.Elements(ValidMessages)
            from flips in Gen.ListOf(Gen.Zip(Gen.Choose(0, message.Length - 1), Gen.Choose(0, 255)))
            from cut in Gen.Choose(0, message.Length)
            select Corrupt(message, flips, cut);
        Check.One(Quick, Prop.ForAll(corrupted.ToArbitrary(), bytes => Answers(bytes)));
    }

    [Fact]
    public void Parse_FieldsReplacedByArbitraryJsonValues_AnswersWithoutThrowing()
    {
        string[] values = ["null", "true", "1e999", "-0", "\"\"", "\" \"", "[]", "{}", "\"NaN\"", "\"\\ud800\"", "9223372036854775808", "\"" + new string('x', 5000) + "\""];
        string[] fields = ["event_id", "occurred_at", "user_id", "item_id", "rating", "text", "schema", "title", "tags"];
        var gen =
            from message in Gen.Elements(ValidMessages)
            from field in Gen.Elements(fields)
            from value in Gen.Elements(values)
            select System.Text.Encoding.UTF8.GetBytes(Replace(System.Text.Encoding.UTF8.GetString(message), field, value));
        Check.One(Quick, Prop.ForAll(gen.ToArbitrary(), bytes => Answers(bytes)));
    }

    [Fact]
    public void PointIds_AreDeterministicRfc4122Version5()
    {
        Check.One(Quick, Prop.ForAll(ArbMap.Default.ArbFor<NonEmptyString>(), s =>
        {
            var id = ToPointId(s.Get);
            var again = ToPointId(s.Get);
            var guid = Guid.Parse(id);
            var bytes = guid.ToByteArray(bigEndian: true);
            return id == again
                && id == guid.ToString("D")
                && (bytes[6] >> 4) == 5
                && (bytes[8] & 0xC0) == 0x80;
        }));
    }

    [Fact]
    public void PointIds_AreInjectiveOnASample()
    {
        // 50,000 distinct ids, including near-duplicates that differ in one character, case or a trailing byte.
        var ids = Enumerable.Range(0, 10_000)
            .SelectMany(i => new[] { $"user-{i}", $"User-{i}", $"user-{i} ", $"user-{i}\u0000", $"item:{i:x}" })
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var points = ids.Select(ToPointId).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(ids.Count, points.Count);
    }

    [Fact]
    public void PointIds_MatchTheRfc4122Construction()
    {
        // An independent check of the construction (SHA-1 of namespace ‖ name, version and variant bits set), so a
        // change of namespace or byte order — which would orphan every stored point — cannot pass unnoticed.
        var ns = new Guid("5f7d3c2a-9e41-4b6f-8a0d-2c7e9b13f468");
        var name = System.Text.Encoding.UTF8.GetBytes("user-42");
#pragma warning disable CA5350 // what RFC 4122 version 5 prescribes
        var hash = System.Security.Cryptography.SHA1.HashData([.. ns.ToByteArray(bigEndian: true), .. name]);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        Assert.Equal(new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString("D"), ToPointId("user-42"));
    }

    private static bool Answers(byte[] bytes)
    {
        var result = EventParser.Parse(bytes);
        return result.IsSuccess ^ (result.Error is not null);
    }

    private static byte[] Corrupt(byte[] message, IEnumerable<(int Index, int Value)> flips, int cut)
    {
        var copy = (byte[])message.Clone();
        foreach (var (index, value) in flips)
        {
            copy[index] = (byte)value;
        }

        return copy[..cut];
    }

    private static string Replace(string json, string field, string value)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node.Remove(field);
        var raw = node.ToJsonString();
        // Appending the field with a raw value keeps invalid JSON-in-JSON (lone surrogates, huge numbers) intact.
        return raw.TrimEnd('}') + (raw.Length > 2 ? "," : "") + $"\"{field}\":{value}}}";
    }

    private static string ToPointId(string id) => PointIdsMethod(id);

    /// <summary>PointIds is internal to the Qdrant adapter (its tests own it); these properties call it through reflection.</summary>
    private static readonly Func<string, string> PointIdsMethod = (Func<string, string>)typeof(QdrantOptions).Assembly
        .GetType("StreamRec.VectorStore.Qdrant.Internal.PointIds", throwOnError: true)!
        .GetMethod("ToPointId", BindingFlags.Public | BindingFlags.Static)!
        .CreateDelegate(typeof(Func<string, string>));
}
