using System.Text.Json.Nodes;
using StreamRec.Domain;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.ItemSide;

namespace StreamRec.Pipeline.Tests.ItemSide;

/// <summary>How a co-engagement row is stored: the neighbours packed in one string, the old one-member-per-neighbour form still read.</summary>
public sealed class CoEngagementRowCodecTests
{
    private static CoEngagementRow Row(params (string Id, double Weight)[] neighbours)
    {
        var row = new CoEngagementRow { Count = 3 };
        foreach (var (id, weight) in neighbours)
        {
            row.Neighbours[id] = weight;
        }

        row.Watermarks["streamrec.user-events:0"] = 41;
        row.RetryIds.Add("streamrec.user-events:1@7");
        return row;
    }

    [Fact]
    public void EncodeThenDecode_GivesTheRowBack_BitForBit()
    {
        var longId = new string('x', 300);
        var row = Row(("ml-1", 0.1 + 0.2), ("élan-日本", double.Epsilon), (longId, 1e300), ("", -0.0), ("ml-2", 2.0 / 3));

        var decoded = CoEngagementStore.Decode(CoEngagementStore.Encode("ml-9", row));

        Assert.Equal(row.Count, decoded.Count);
        Assert.Equal(row.Neighbours.Count, decoded.Neighbours.Count);
        foreach (var (id, weight) in row.Neighbours)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(weight), BitConverter.DoubleToInt64Bits(decoded.Neighbours[id]));
        }

        Assert.Equal(row.Watermarks, decoded.Watermarks);
        Assert.Equal(row.RetryIds, decoded.RetryIds);
    }

    [Fact]
    public void EncodeThenDecode_NoNeighbours_IsTheVersionByteAlone()
    {
        var payload = CoEngagementStore.Encode("ml-9", Row());

        Assert.Equal("AQ", payload[CoEngagementFields.NeighboursPacked]!.GetValue<string>());
        Assert.Empty(CoEngagementStore.Decode(payload).Neighbours);
    }

    [Fact]
    public void Encode_SameNeighboursInAnotherOrder_GivesTheSamePayload()
    {
        var a = Row(("b", 1), ("a", 2), ("c", 3));
        var b = Row(("c", 3), ("a", 2), ("b", 1));

        Assert.Equal(CoEngagementStore.Encode("i", a).ToJsonString(), CoEngagementStore.Encode("i", b).ToJsonString());
        Assert.Null(CoEngagementStore.Encode("i", a)[CoEngagementFields.Neighbours]);
    }

    [Fact]
    public void Pack_AFullRowInAnotherInsertionOrder_GivesTheSameString_AndReadsBack()
    {
        var ids = Enumerable.Range(0, 1_000).Select(i => $"ml-{i * 7919 % 100_003}").ToArray();
        var forward = Row([.. ids.Select((id, i) => (id, 1.0 / (i + 3)))]);
        var backward = Row([.. ids.Select((id, i) => (id, 1.0 / (i + 3))).Reverse()]);
        // A row reloaded from the store and changed again holds its entries in another internal order than the row that
        // was never reloaded: the packed form must not depend on it.
        backward.Neighbours.Remove(ids[10]);
        backward.Neighbours[ids[10]] = forward.Neighbours[ids[10]];

        var packed = CoEngagementStore.PackNeighbours(forward.Neighbours);
        Assert.Equal(packed, CoEngagementStore.PackNeighbours(backward.Neighbours));
        var read = new Dictionary<string, double>(StringComparer.Ordinal);
        CoEngagementStore.UnpackNeighbours(packed, read);
        Assert.Equal(forward.Neighbours.OrderBy(kv => kv.Key, StringComparer.Ordinal), read.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void Pack_IdsWithEqualHashes_AreInOrdinalOrder()
    {
        var row = Row(("ml-3", 3), ("ml-1", 1), ("ml-20", 20), ("ml-2", 2));

        var packed = CoEngagementStore.PackNeighbours(row.Neighbours, _ => 42);

        Assert.Equal(CoEngagementStore.PackNeighbours(Row(("ml-2", 2), ("ml-20", 20), ("ml-1", 1), ("ml-3", 3)).Neighbours, _ => 42), packed);
        var bytes = Convert.FromBase64String(packed.Replace('-', '+').Replace('_', '/') + new string('=', (4 - packed.Length % 4) % 4));
        var text = System.Text.Encoding.Latin1.GetString(bytes);
        var at = new[] { "ml-1", "ml-2", "ml-20", "ml-3" }.Select(id => text.IndexOf((char)id.Length + id, StringComparison.Ordinal)).ToArray();
        Assert.All(at, i => Assert.True(i > 0));
        Assert.Equal(at.Order(), at);
    }

    [Fact]
    public void Decode_ARowWrittenBeforeThePackedForm_IsStillRead()
    {
        var legacy = new JsonObject
        {
            [CoEngagementFields.ItemId] = "ml-9",
            [CoEngagementFields.Count] = 2,
            [CoEngagementFields.Neighbours] = new JsonObject { ["ml-1"] = 1.5, ["ml-2"] = 1 },
            [CoEngagementFields.Watermarks] = new JsonObject { ["streamrec.user-events:0"] = 5 },
        };

        var row = CoEngagementStore.Decode(legacy);

        Assert.Equal(2, row.Count);
        Assert.Equal([("ml-1", 1.5), ("ml-2", 1.0)], row.Neighbours.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)));
        Assert.Equal(5, row.Watermarks["streamrec.user-events:0"]);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AA==")] // version 0
    [InlineData("AQVhYg==")] // id length 5, only 2 bytes follow
    [InlineData("AYCAgIAQ")] // an id length that does not end
    public void Decode_DamagedPackedNeighbours_FailsNamingTheRow(string packed)
    {
        var payload = new JsonObject { [CoEngagementFields.ItemId] = "ml-9", [CoEngagementFields.NeighboursPacked] = packed };

        var error = Assert.Throws<FormatException>(() => CoEngagementStore.Decode(payload));
        Assert.Contains("'ml-9'", error.Message, StringComparison.Ordinal);
        Assert.Contains(CoEngagementFields.NeighboursPacked, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Packed_IsSmallerThanOneMemberPerNeighbour()
    {
        var row = Row([.. Enumerable.Range(0, 500).Select(i => ($"ml-{i:D5}", 1.0 / (i + 3)))]);
        var legacy = new JsonObject();
        foreach (var (id, weight) in row.Neighbours)
        {
            legacy[id] = weight;
        }

        var packed = CoEngagementStore.PackNeighbours(row.Neighbours).Length;
        Assert.True(packed < legacy.ToJsonString().Length, $"packed {packed} chars vs {legacy.ToJsonString().Length}");
    }

    [Fact]
    public void Packed_NeedsNoEscapingInJson_AndTheStandardBase64OfOlderRowsIsStillRead()
    {
        var row = Row([.. Enumerable.Range(0, 300).Select(i => ($"ml-{i:D5}", 1.0 / (i + 3)))]);
        var packed = CoEngagementStore.PackNeighbours(row.Neighbours);
        var standard = packed.Replace('-', '+').Replace('_', '/') + new string('=', (4 - packed.Length % 4) % 4);
        Assert.NotEqual(packed, standard);

        Assert.DoesNotContain("\\u", new JsonObject { ["p"] = packed }.ToJsonString(), StringComparison.Ordinal);
        foreach (var form in new[] { packed, standard })
        {
            var neighbours = new Dictionary<string, double>(StringComparer.Ordinal);
            CoEngagementStore.UnpackNeighbours(form, neighbours, "ml-9");
            Assert.Equal(row.Neighbours.OrderBy(kv => kv.Key, StringComparer.Ordinal), neighbours.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        }
    }
}
