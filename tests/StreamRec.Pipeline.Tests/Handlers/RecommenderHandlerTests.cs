using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Handlers;
using StreamRec.Pipeline.Options;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Pipeline.Tests.Handlers;

/// <summary>The recommender's handler fed with what the profile-updater's handler published, on fakes of the messaging ports.</summary>
public sealed class RecommenderHandlerTests : IDisposable
{
    private static readonly DateTimeOffset T0 = Catalog.T0;
    private readonly EmbeddedVectorStore _store = new(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
    private readonly HashingEncoder _encoder = new();
    private readonly FakeTimeProvider _time = new(T0.AddDays(1));
    private readonly ProfileOptions _profileOptions = new();
    private readonly ProfileUpdaterHandler _profiles;
    private readonly RecordingPublisher _notifications = new();
    private readonly RecordingPublisher _lists = new();
    private readonly RecommenderHandler _handler;

    public RecommenderHandlerTests()
    {
        var items = new ItemIndexEngine(_store, _encoder, _time);
        var engine = new ProfileEngine(_store, _encoder, _profileOptions, _time);
        items.EnsureCollectionAsync(CancellationToken.None).GetAwaiter().GetResult();
        engine.EnsureCollectionAsync(CancellationToken.None).GetAwaiter().GetResult();
        items.IndexAsync([.. Catalog.Items()], CancellationToken.None).GetAwaiter().GetResult();
        _profiles = new ProfileUpdaterHandler(
            engine, _notifications, new RecordingDeadLetters(), new ProfileUpdaterOptions { PublishEngagements = false }, new ParseLimits(),
            NullLogger<ProfileUpdaterHandler>.Instance, _time);
        var recommendations = new RecommendationEngine(_store, new TrendingCounter(TimeSpan.FromHours(6)), new RankingOptions { ListSize = 4 }, _profileOptions, _time);
        _handler = new RecommenderHandler(recommendations, _lists, new ParseLimits(), new ServedListStats(TimeSpan.FromHours(1)), NullLogger<RecommenderHandler>.Instance, _time);
    }

    public void Dispose() => _store.Dispose();

    private async Task ClickAsync(string user, string item, long offset) =>
        await _profiles.HandleAsync([Consumed.Event(Catalog.Click(user, item, T0.AddMinutes(offset)), offset)], CancellationToken.None);

    private static UserVectorUpdated Notice(string user, long version, bool forgotten = false) => new()
    {
        EventId = $"uv-{user}-{version}",
        OccurredAt = T0,
        UserId = user,
        Version = version,
        Forgotten = forgotten,
        Trigger = new TriggerRef { EventId = $"trigger-{user}-{version}", OccurredAt = T0 },
    };

    [Fact]
    public async Task HandleAsync_BurstOfUpdatesForOneUser_PublishesOneListForTheNewestVersion()
    {
        await ClickAsync("u1", "space-1", 0);
        await ClickAsync("u1", "space-2", 1);
        var newest = _notifications.On<UserVectorUpdated>(Topics.UserVectors).Last();

        var poison = await _handler.HandleAsync(Consumed.From(_notifications.Published), CancellationToken.None);

        Assert.Empty(poison);
        var list = Assert.Single(_lists.On<RecommendationList>(Topics.Recommendations));
        Assert.Equal(("u1", newest.Trigger.EventId), (list.UserId, list.Trigger.EventId));
        Assert.NotEmpty(list.Items);
        Assert.DoesNotContain(list.Items, i => i.ItemId is "space-1" or "space-2");
    }

    [Fact]
    public async Task HandleAsync_NotificationForAUserNotInTheStore_PublishesNoList()
    {
        var poison = await _handler.HandleAsync([Consumed.Event(Notice("ghost", 3), 0)], CancellationToken.None);

        Assert.Empty(poison);
        Assert.Empty(_lists.Published);
    }

    [Fact]
    public async Task HandleAsync_ForgottenUser_PublishesAnEmptyForgottenList()
    {
        await ClickAsync("u1", "space-1", 0);

        await _handler.HandleAsync([Consumed.Event(Notice("u1", 2, forgotten: true), 0)], CancellationToken.None);

        var list = Assert.Single(_lists.On<RecommendationList>(Topics.Recommendations));
        Assert.Equal(RecommendationResult.ForgottenStrategy, list.Strategy);
        Assert.Empty(list.Items);
    }

    [Fact]
    public async Task HandleAsync_ListsBuiltInGroupsOnSeveralThreads_AreTheListsOfOneThreadForTheSameUsers()
    {
        // Twelve users, each clicking one item of a topic (topics in turn): every list leads with its user's topic.
        string[] topics = ["space", "cooking", "garden", "football"];
        var clicked = Enumerable.Range(0, 12).ToDictionary(i => $"u{i}", i => $"{topics[i % 4]}-{1 + (i / 4)}");
        var offset = 0;
        foreach (var (user, item) in clicked)
        {
            await ClickAsync(user, item, offset++);
        }

        var notifications = Consumed.From(_notifications.Published);
        var recommendations = new RecommendationEngine(_store, new TrendingCounter(TimeSpan.FromHours(6)), new RankingOptions { ListSize = 4 }, _profileOptions, _time);
        var grouped = new RecordingPublisher();
        var threeBuilders = new RecommenderHandler(
            recommendations, grouped, new ParseLimits(), new ServedListStats(TimeSpan.FromHours(1)), NullLogger<RecommenderHandler>.Instance, _time,
            new RecommenderOptions { ListBuilders = 3 });

        await _handler.HandleAsync(notifications, CancellationToken.None);
        await threeBuilders.HandleAsync(notifications, CancellationToken.None);

        var oneThread = _lists.On<RecommendationList>(Topics.Recommendations).ToList();
        var groups = grouped.On<RecommendationList>(Topics.Recommendations).ToList();
        Assert.Equal(12, groups.Count);
        Assert.Equal(
            oneThread.Select(l => (l.UserId, l.Trigger.EventId, Items: string.Join(",", l.Items.Select(i => $"{i.ItemId}:{i.Score}")))),
            groups.Select(l => (l.UserId, l.Trigger.EventId, Items: string.Join(",", l.Items.Select(i => $"{i.ItemId}:{i.Score}")))));
        Assert.All(groups, l =>
        {
            var topic = clicked[l.UserId].Split('-')[0];
            Assert.StartsWith(topic + "-", l.Items[0].ItemId, StringComparison.Ordinal);
            Assert.DoesNotContain(l.Items, i => i.ItemId == clicked[l.UserId]);
        });
    }

    [Fact]
    public async Task HandleAsync_UserEventOnTheUserVectorsTopic_IsPoison()
    {
        var click = Catalog.Click("u1", "space-1", T0);

        var poison = await _handler.HandleAsync([Consumed.Event(click, 0, topic: Topics.UserVectors)], CancellationToken.None);

        Assert.Equal(0, Assert.Single(poison).Index);
        Assert.Empty(_lists.Published);
    }
}
