using System.Globalization;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Pipeline.Engines;
using StreamRec.Ports;

namespace StreamRec.MicroBenchmarks;

/// <summary>
/// A user's stored state as the services write and read it, for a user with a long history (issue 16's "full user":
/// 200 recent items, 100 remembered events, one engagement-outbox entry with a 50-item history): encode to a point, and
/// read one back from its stored JSON text (parse + decode), as a profile-cache miss does.
/// </summary>
[MemoryDiagnoser]
public class ProfileCodecBenchmarks
{
    private UserProfile _profile = null!;
    private string _stored = string.Empty;
    private Dictionary<string, float[]> _vectors = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(5);
        _profile = new UserProfile("user-123456", 384);
        _profile.SetVectors(Vectors.RandomUnit(random, 384), Vectors.RandomUnit(random, 384));
        _profile.ReferenceTime = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 200; i++)
        {
            _profile.RememberItem("item-" + random.Next(100_000).ToString(CultureInfo.InvariantCulture), 200);
        }

        for (var i = 0; i < 100; i++)
        {
            _profile.RememberEvent($"evt-user-123456-{i.ToString(CultureInfo.InvariantCulture)}", 100);
        }

        _profile.MarkApplied(Topics.UserEvents, 0, 1_000);
        var history = _profile.RecentItems.TakeLast(51).ToArray();
        var engagement = new AppliedEngagement(history[^1], history[..^1], Topics.UserEvents, 0, 1_000, Retried: false);
        _profile.Outbox.Add(new OutboxEntry(engagement, engagement.PartitionKey, engagement.Offset));
        var point = ProfileCodec.Encode(_profile);
        _stored = point.Payload!.ToJsonString();
        _vectors = new Dictionary<string, float[]>(point.Vectors);
    }

    [Benchmark(Description = "ProfileCodec.Encode, full user")]
    public VectorPoint Encode() => ProfileCodec.Encode(_profile);

    [Benchmark(Description = "parse stored payload + ProfileCodec.Decode, full user")]
    public UserProfile Decode() =>
        ProfileCodec.Decode(new VectorPoint(_profile.UserId, _vectors, JsonNode.Parse(_stored)!.AsObject()), 384);

    [Benchmark(Description = "... with item ids shared (profile cache)")]
    public UserProfile DecodeShared() =>
        ProfileCodec.Decode(new VectorPoint(_profile.UserId, _vectors, JsonNode.Parse(_stored)!.AsObject()), 384, shareItemIds: true);
}
