using StreamRec.SystemBench.Pipeline;
using StreamRec.Contracts;

namespace StreamRec.SystemBench.Tests.Pipeline;

public class SyntheticPopulationTests
{
    private static readonly PopulationOptions Small = new() { Users = 200, Items = 50 };

    [Fact]
    public void Items_SameSeed_SameCatalogue()
    {
        var first = SyntheticPopulation.Items(Small);
        var second = SyntheticPopulation.Items(Small);

        Assert.Equal(50, first.Count);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Items_HaveTitleAndTextForTheEncoder()
    {
        var items = SyntheticPopulation.Items(Small);

        Assert.All(items, item =>
        {
            Assert.False(string.IsNullOrWhiteSpace(item.Title));
            Assert.True(item.Text!.Split(' ').Length >= 10, item.Text);
        });
        Assert.Equal(items.Count, items.Select(i => i.ItemId).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData(EventMix.Clicks)]
    [InlineData(EventMix.MovieLensMix)]
    public void Events_SameSeed_SameStream(EventMix mix)
    {
        var first = SyntheticPopulation.Events(Small, mix, 2_000).ToArray();
        var second = SyntheticPopulation.Events(Small, mix, 2_000).ToArray();

        Assert.Equal(2_000, first.Length);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Events_AreTheSameInEveryProcess()
    {
        // Runs of the bench are compared with each other, so the stream must not depend on anything seeded per process
        // (it did: HashCode.Combine). Pinned: the first events of the default seed. If the generator changes on purpose,
        // pin its new first events.
        var first = SyntheticPopulation.Events(Small, EventMix.Clicks, 3).Cast<Click>().Select(c => $"{c.UserId}>{c.ItemId}");

        Assert.Equal(PinnedFirstEvents, string.Join(' ', first));
    }

    private const string PinnedFirstEvents = "pop-u161>pop-i20 pop-u51>pop-i0 pop-u61>pop-i30";

    [Fact]
    public void Events_WithoutRepeats_NoUserEngagesAnItemTwice_AsInMovieLens()
    {
        // 20 users over 50 items: with repeats allowed, heavy users click popular items again and again.
        var shape = Small with { Users = 20 };
        static int Repeats(IEnumerable<IStreamRecEvent> events) =>
            events.OfType<Click>().GroupBy(c => (c.UserId, c.ItemId)).Sum(g => g.Count() - 1);

        var repeating = SyntheticPopulation.Events(shape, EventMix.Clicks, 400).ToArray();
        var distinct = SyntheticPopulation.Events(shape with { RepeatItems = false }, EventMix.Clicks, 400).ToArray();

        Assert.True(Repeats(repeating) > 100, $"{Repeats(repeating)} repeats with the default shape");
        // Only a user with more clicks than there are items must repeat, and only that many times.
        var forced = distinct.OfType<Click>().GroupBy(c => c.UserId).Sum(g => Math.Max(0, g.Count() - shape.Items));
        Assert.Equal(forced, Repeats(distinct));
        Assert.Equal(400, distinct.Length);
        Assert.Equal(distinct, SyntheticPopulation.Events(shape with { RepeatItems = false }, EventMix.Clicks, 400));
        // Still popularity-shaped: the most clicked item is clicked by many users.
        Assert.True(distinct.OfType<Click>().GroupBy(c => c.ItemId).Max(g => g.Count()) >= 15);
    }

    [Fact]
    public void Events_WithoutRepeats_AUserWhoEngagedEveryItem_StillGetsEvents()
    {
        var tiny = new PopulationOptions { Users = 1, Items = 5, RepeatItems = false };

        var events = SyntheticPopulation.Events(tiny, EventMix.Clicks, 12).OfType<Click>().ToArray();

        Assert.Equal(12, events.Length);
        Assert.Equal(5, events.Take(5).Select(c => c.ItemId).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Events_OtherSeed_OtherStream()
    {
        var first = SyntheticPopulation.Events(Small, EventMix.Clicks, 500).ToArray();
        var other = SyntheticPopulation.Events(Small with { Seed = 17 }, EventMix.Clicks, 500).ToArray();

        Assert.NotEqual(first.Select(e => e.Key), other.Select(e => e.Key));
    }

    [Fact]
    public void Events_InTimeOrder_WithKnownUsersAndItems()
    {
        var items = SyntheticPopulation.Items(Small).Select(i => i.ItemId).ToHashSet(StringComparer.Ordinal);

        var events = SyntheticPopulation.Events(Small, EventMix.MovieLensMix, 5_000).ToArray();

        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.OccurredAt <= p.Second.OccurredAt));
        Assert.All(events, e => Assert.Contains(e switch { Click c => c.ItemId, Review r => r.ItemId, _ => "?" }, items));
        Assert.All(events, e => Assert.StartsWith("pop-u", e.Key, StringComparison.Ordinal));
        Assert.Equal(events.Length, events.Select(e => e.EventId).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Events_Clicks_AreAllClicks()
    {
        Assert.All(SyntheticPopulation.Events(Small, EventMix.Clicks, 1_000), e => Assert.IsType<Click>(e));
    }

    [Fact]
    public void Events_Mix_IsMovieLensLike()
    {
        var events = SyntheticPopulation.Events(Small, EventMix.MovieLensMix, 20_000).ToArray();
        var reviews = events.OfType<Review>().ToArray();
        var clicks = events.OfType<Click>().ToArray();

        // Every review has a rating in MovieLens's half stars; one click per review rated 3.5 or more, at the same instant.
        Assert.All(reviews, r => Assert.InRange(r.Rating!.Value, 0.5, 5.0));
        Assert.All(reviews, r => Assert.Equal(0, r.Rating!.Value * 2 % 1));
        Assert.InRange(Math.Abs(clicks.Length - reviews.Count(r => r.Rating >= 3.5)), 0, 1);
        // About two reviews per click, as the MovieLens replay; a few percent of reviews carry text.
        Assert.InRange(reviews.Length / (double)clicks.Length, 1.5, 2.5);
        Assert.InRange(reviews.Count(r => r.Text is not null) / (double)reviews.Length, 0.01, 0.06);
    }

    [Fact]
    public void Events_ComeInBurstsPerUser()
    {
        var events = SyntheticPopulation.Events(new PopulationOptions { Users = 100_000, Items = 50 }, EventMix.Clicks, 5_000).ToArray();

        // With 100,000 users and uniform draws, almost no user would appear twice in 5,000 events; in sessions of about 8,
        // most events are by a user seen before in the stream.
        var users = events.Select(e => e.Key).Distinct(StringComparer.Ordinal).Count();
        Assert.InRange(events.Length / (double)users, 5, 12);
    }

    [Fact]
    public void Events_PopularityIsSkewed()
    {
        var counts = SyntheticPopulation.Events(new PopulationOptions { Users = 1_000, Items = 1_000 }, EventMix.Clicks, 50_000)
            .Cast<Click>().GroupBy(c => c.ItemId).Select(g => g.Count()).OrderDescending().ToArray();

        // Zipf s = 1 over 1,000 items: the top item gets 1/H(1000) ≈ 13 % of the draws, the top 10 about 39 %.
        Assert.InRange(counts[0] / 50_000.0, 0.11, 0.15);
        Assert.InRange(counts.Take(10).Sum() / 50_000.0, 0.35, 0.43);
    }
}

public class ZipfSamplerTests
{
    [Fact]
    public void Probability_FollowsOneOverRank()
    {
        var zipf = new ZipfSampler(100, 1.0);

        Assert.Equal(2.0, zipf.Probability(0) / zipf.Probability(1), 9);
        Assert.Equal(10.0, zipf.Probability(0) / zipf.Probability(9), 9);
        Assert.Equal(1.0, Enumerable.Range(0, 100).Sum(zipf.Probability), 9);
    }

    [Fact]
    public void Sample_Frequencies_MatchTheProbabilities()
    {
        var zipf = new ZipfSampler(20, 1.2);
        var random = new Random(3);
        var counts = new int[20];
        const int draws = 200_000;
        for (var i = 0; i < draws; i++)
        {
            counts[zipf.Sample(random)]++;
        }

        for (var r = 0; r < 20; r++)
        {
            Assert.InRange(counts[r] / (double)draws, zipf.Probability(r) * 0.9, zipf.Probability(r) * 1.1);
        }
    }

    [Fact]
    public void Sample_ExponentZero_IsUniform()
    {
        var zipf = new ZipfSampler(4, 0);

        Assert.All(Enumerable.Range(0, 4), r => Assert.Equal(0.25, zipf.Probability(r), 9));
    }
}
