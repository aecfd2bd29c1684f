using StreamRec.Contracts;
using StreamRec.Datasets;

namespace StreamRec.Evaluation.Tests.Datasets;

public class MovieLensDatasetTests
{
    private const string Movies = """
        movieId,title,genres
        1,Toy Story (1995),Adventure|Animation|Children
        2,"American President, The (1995)",Comedy|Drama|Romance
        3,"Dr. ""Strange"" Love (1964)",Comedy|War
        4,Untitled Thing,(no genres listed)

        """;

    // File order is by user; the stream must be by time.
    private const string Ratings = """
        userId,movieId,rating,timestamp
        1,2,4.0,1000001000
        1,1,3.0,1000003000
        2,1,5.0,1000002000
        2,3,3.5,1000004000
        2,4,0.5,1000004000

        """;

    private const string Tags = """
        userId,movieId,tag,timestamp
        2,1,pixar,1000002001
        1,1,"funny, clever",1000003001
        2,1,Pixar,1000002002

        """;

    private static MovieLensDataset Small()
    {
        using var zip = TestData.Zip(Movies, Ratings, Tags);
        return MovieLensDataset.Load(zip);
    }

    [Fact]
    public void Load_SmallZip_ReadsAllTablesWithQuotedTitles()
    {
        var data = Small();

        Assert.Equal(4, data.Movies.Count);
        Assert.Equal(5, data.Ratings.Count);
        Assert.Equal(3, data.Tags.Count);
        Assert.Equal(2, data.UserCount);
        Assert.Equal("American President, The (1995)", data.Movies[1].Title);
        Assert.Equal("Dr. \"Strange\" Love (1964)", data.Movies[2].Title);
        Assert.Empty(data.Movies[3].Genres);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_000_001_000), data.Ratings[0].Timestamp);
    }

    [Fact]
    public void ToEvents_IsInTimeOrder_WithEachItemJustBeforeItsFirstRating()
    {
        var events = MovieLensEvents.ToEvents(Small()).ToList();

        Assert.Equal(events.OrderBy(e => e.OccurredAt).Select(e => e.EventId), events.Select(e => e.EventId));
        Assert.Equal(
            ["ml-i-2", "ml-r-1-2", "ml-c-1-2", "ml-i-1", "ml-r-2-1", "ml-c-2-1", "ml-r-1-1", "ml-i-3", "ml-r-2-3", "ml-c-2-3", "ml-i-4", "ml-r-2-4"],
            events.Select(e => e.EventId));
        foreach (var item in events.OfType<ItemUpserted>())
        {
            var firstUse = events.FindIndex(e => e is Review r && r.ItemId == item.ItemId);
            Assert.Equal(events.IndexOf(item) + 1, firstUse);
            Assert.Equal(events[firstUse].OccurredAt, item.OccurredAt);
        }
    }

    [Fact]
    public void ToEvents_ClickOnlyAtOrAboveThreshold()
    {
        var events = MovieLensEvents.ToEvents(Small()).ToList();

        var reviews = events.OfType<Review>().ToList();
        var clicks = events.OfType<Click>().Select(c => (c.UserId, c.ItemId)).ToHashSet();
        Assert.Equal(5, reviews.Count);
        foreach (var r in reviews)
        {
            Assert.Equal(r.Rating >= 3.5, clicks.Contains((r.UserId, r.ItemId)));
        }

        var stricter = MovieLensEvents.ToEvents(Small(), new MovieLensEventOptions { ClickThreshold = 4.5 }).OfType<Click>().ToList();
        Assert.Equal("ml-c-2-1", Assert.Single(stricter).EventId);
    }

    [Fact]
    public void ToEvents_MapsIdsTitlesTagsTextAndPublishedDates()
    {
        var events = MovieLensEvents.ToEvents(Small()).ToList();

        var toyStory = events.OfType<ItemUpserted>().Single(i => i.ItemId == "ml-1");
        Assert.Equal("Toy Story (1995)", toyStory.Title);
        Assert.Equal(["Adventure", "Animation", "Children"], toyStory.Tags);
        Assert.Equal("Adventure, Animation, Children. pixar, funny, clever", toyStory.Text);
        Assert.Equal(new DateTimeOffset(1995, 1, 1, 0, 0, 0, TimeSpan.Zero), toyStory.PublishedAt);
        Assert.Equal(1, toyStory.Version);

        // 1964 is before the contracts' 1970 floor; no year at all falls back to the first rating.
        Assert.Equal(MovieLensEvents.Epoch, events.OfType<ItemUpserted>().Single(i => i.ItemId == "ml-3").PublishedAt);
        var untitled = events.OfType<ItemUpserted>().Single(i => i.ItemId == "ml-4");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_000_004_000), untitled.PublishedAt);
        Assert.Null(untitled.Tags);

        var review = events.OfType<Review>().Single(r => r.EventId == "ml-r-2-1");
        Assert.Equal("ml-u2", review.UserId);
        Assert.Equal("ml-1", review.ItemId);
        Assert.Equal(5.0, review.Rating);
        Assert.Equal("pixar", review.Text);
        Assert.Null(events.OfType<Review>().Single(r => r.EventId == "ml-r-1-2").Text);
    }

    [Fact]
    public void ToEvents_EveryEventPassesTheServicesParser()
    {
        foreach (var e in MovieLensEvents.ToEvents(Small()))
        {
            var parsed = EventParser.Parse(EventParser.Serialize(e));
            Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
            Assert.Equal(e.EventId, parsed.Event!.EventId);
        }
    }

    [Fact]
    public void ToEvents_TimeRangeAndLimit_SelectEarliestRatingsInRange()
    {
        var options = new MovieLensEventOptions { From = DateTimeOffset.FromUnixTimeSeconds(1_000_002_000), MaxRatings = 2 };

        var reviews = MovieLensEvents.ToEvents(Small(), options).OfType<Review>().Select(r => r.EventId).ToList();

        Assert.Equal(["ml-r-2-1", "ml-r-1-1"], reviews);
    }

    [Theory]
    [InlineData("Heat (1995)", 1995)]
    [InlineData("Babylon 5 (1994) ", 1994)]
    [InlineData("Hyena Road", null)]
    [InlineData("Stranger Things (2016-)", null)]
    public void YearOf_ReadsTrailingYear(string title, int? year) => Assert.Equal(year, MovieLensEvents.YearOf(title));

    [Fact]
    public void Load_MissingTable_SaysWhich()
    {
        using var zip = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(zip, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            archive.CreateEntry("movies.csv");
        }

        zip.Position = 0;
        var ex = Assert.Throws<InvalidDataException>(() => MovieLensDataset.Load(zip));
        Assert.Contains("ratings.csv", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RealRelease_HasDocumentedCounts()
    {
        var path = TestData.RealZip();
        if (path is null)
        {
            Assert.Skip("ml-latest-small.zip not found (set STREAMREC_DATA or place it under ../shared/data/movielens-ml-latest-small)");
        }

        var data = MovieLensDataset.Load(path);

        Assert.Equal(100_836, data.Ratings.Count);
        Assert.Equal(9_742, data.Movies.Count);
        Assert.Equal(3_683, data.Tags.Count);
        Assert.Equal(610, data.UserCount);

        var events = MovieLensEvents.ToEvents(data).ToList();
        Assert.Equal(100_836, events.Count(e => e is Review));
        Assert.Equal(data.Ratings.Count(r => r.Rating >= 3.5), events.Count(e => e is Click));
        Assert.Equal(data.Ratings.Select(r => r.MovieId).Distinct().Count(), events.Count(e => e is ItemUpserted));
        for (var i = 1; i < events.Count; i++)
        {
            Assert.True(events[i - 1].OccurredAt <= events[i].OccurredAt, $"event {i} goes back in time");
        }

        Assert.All(events.Take(5_000), e => Assert.True(EventParser.Parse(EventParser.Serialize(e)).IsSuccess, e.EventId));
    }
}
