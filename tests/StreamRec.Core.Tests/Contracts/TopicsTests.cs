using StreamRec.Contracts;

namespace StreamRec.Core.Tests.Contracts;

public sealed class TopicsTests
{
    [Fact]
    public void EveryEvent_GoesToAKnownTopic_KeyedAsDesigned()
    {
        foreach (var e in SampleEvents.All())
        {
            Assert.Contains(e.Topic, Topics.All);
            var expectedKey = e switch
            {
                ItemUpserted x => x.ItemId,
                ItemRetired x => x.ItemId,
                Click x => x.UserId,
                Review x => x.UserId,
                UserForget x => x.UserId,
                UserVectorUpdated x => x.UserId,
                RecommendationList x => x.UserId,
                _ => throw new InvalidOperationException(e.GetType().Name),
            };
            Assert.Equal(expectedKey, e.Key);
        }
    }

    [Fact]
    public void UserForget_TravelsWithTheClicks_SoItIsOrderedAfterThem() =>
        Assert.Equal(Topics.UserEvents, new UserForget { EventId = "e", OccurredAt = SampleEvents.T0, UserId = "u" }.Topic);

    [Fact]
    public void CompactedTopics_AreTheItemsAndTheLists()
    {
        Assert.Equal([Topics.Items, Topics.Recommendations], Topics.Compacted);
        Assert.Equal(Topics.All.Count, Topics.All.Distinct().Count());
    }

    [Fact]
    public void SchemaIds_AreUniqueAndVersioned()
    {
        Assert.Equal(Schemas.All.Count, Schemas.All.Distinct().Count());
        Assert.All(Schemas.All, s => Assert.Matches("^streamrec\\.[a-z-]+/v[0-9]+$", s));
    }

    [Fact]
    public void RecordDefaults_CarryTheirSchemaId()
    {
        Assert.All(SampleEvents.All(), e => Assert.Contains(e.Schema, Schemas.All));
        Assert.Equal(Schemas.Recommendations, SampleEvents.All().OfType<RecommendationList>().First().Schema);
    }
}
