using System.Globalization;
using System.Text.RegularExpressions;
using StreamRec.Contracts;

namespace StreamRec.Datasets;

/// <summary>
/// Turns MovieLens into the event stream StreamRec consumes, in time order (the mapping is documented in
/// docs/datasets.md). Each movie becomes an <see cref="ItemUpserted"/> emitted just before its first rating, so
/// items arrive over time as in a live catalogue; each rating becomes a <see cref="Review"/>, plus a
/// <see cref="Click"/> at the same instant when the rating reaches the threshold. Ids are derived from the data,
/// so two conversions of the same release are identical.
/// </summary>
public static partial class MovieLensEvents
{
    /// <summary>The earliest time the event contracts accept; older release years are clamped to it.</summary>
    public static readonly DateTimeOffset Epoch = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string ItemId(int movieId) => "ml-" + movieId.ToString(CultureInfo.InvariantCulture);

    public static string UserId(int userId) => "ml-u" + userId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The release year in a title like <c>Heat (1995)</c> (trailing spaces allowed); null when absent.</summary>
    public static int? YearOf(string title)
    {
        var match = YearPattern().Match(title);
        return match.Success ? int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>The event stream. Ratings are ordered by (time, user, movie); at one instant the item event comes
    /// first, then the review, then the click.</summary>
    public static IEnumerable<IStreamRecEvent> ToEvents(MovieLensDataset dataset, MovieLensEventOptions? options = null)
    {
        options ??= new MovieLensEventOptions();
        var movies = dataset.Movies.ToDictionary(m => m.MovieId);

        // Tags become item text (what users said about the movie) and review text (what this user said).
        var movieTags = new Dictionary<int, List<string>>();
        var userMovieTags = new Dictionary<(int User, int Movie), List<string>>();
        foreach (var tag in dataset.Tags.OrderBy(t => t.Timestamp).ThenBy(t => t.UserId).ThenBy(t => t.MovieId))
        {
            var text = tag.Tag.Trim();
            if (text.Length == 0)
            {
                continue;
            }

            AddDistinct(movieTags, tag.MovieId, text);
            AddDistinct(userMovieTags, (tag.UserId, tag.MovieId), text);
        }

        IEnumerable<MovieLensRating> ratings = dataset.Ratings
            .Where(r => (options.From is null || r.Timestamp >= options.From) && (options.To is null || r.Timestamp < options.To))
            .OrderBy(r => r.Timestamp).ThenBy(r => r.UserId).ThenBy(r => r.MovieId);
        if (options.MaxRatings is { } max)
        {
            ratings = ratings.Take(max);
        }

        return Generate(ratings, movies, movieTags, userMovieTags, options.ClickThreshold);
    }

    private static IEnumerable<IStreamRecEvent> Generate(
        IEnumerable<MovieLensRating> ratings,
        Dictionary<int, MovieLensMovie> movies,
        Dictionary<int, List<string>> movieTags,
        Dictionary<(int, int), List<string>> userMovieTags,
        double clickThreshold)
    {
        var emitted = new HashSet<int>();
        foreach (var r in ratings)
        {
            if (emitted.Add(r.MovieId))
            {
                var movie = movies.GetValueOrDefault(r.MovieId) ?? new MovieLensMovie(r.MovieId, $"Movie {r.MovieId}", []);
                yield return ToItem(movie, movieTags.GetValueOrDefault(r.MovieId), r.Timestamp);
            }

            var user = UserId(r.UserId);
            var item = ItemId(r.MovieId);
            var suffix = string.Create(CultureInfo.InvariantCulture, $"{r.UserId}-{r.MovieId}");
            var tags = userMovieTags.GetValueOrDefault((r.UserId, r.MovieId));
            yield return new Review
            {
                EventId = "ml-r-" + suffix,
                OccurredAt = r.Timestamp,
                UserId = user,
                ItemId = item,
                Rating = r.Rating,
                Text = tags is null ? null : string.Join(", ", tags),
            };

            if (r.Rating >= clickThreshold)
            {
                yield return new Click
                {
                    EventId = "ml-c-" + suffix,
                    OccurredAt = r.Timestamp,
                    UserId = user,
                    ItemId = item,
                };
            }
        }
    }

    private static ItemUpserted ToItem(MovieLensMovie movie, List<string>? tags, DateTimeOffset firstRating)
    {
        // The release year is the best "published" date the data has; the contracts start in 1970, and a movie
        // cannot be published after someone rated it, so clamp into [1970, first rating].
        var published = firstRating;
        if (YearOf(movie.Title) is { } year && year is >= 1 and <= 9999)
        {
            var releaseDay = new DateTimeOffset(year, 1, 1, 0, 0, 0, TimeSpan.Zero);
            published = releaseDay < Epoch ? Epoch : releaseDay > firstRating ? firstRating : releaseDay;
        }

        var text = string.Join(", ", movie.Genres);
        if (tags is { Count: > 0 })
        {
            text = text.Length == 0 ? string.Join(", ", tags) : text + ". " + string.Join(", ", tags);
        }

        return new ItemUpserted
        {
            EventId = "ml-i-" + movie.MovieId.ToString(CultureInfo.InvariantCulture),
            OccurredAt = firstRating,
            ItemId = ItemId(movie.MovieId),
            Title = movie.Title.Trim(),
            Text = text.Length == 0 ? null : text,
            Tags = movie.Genres.Count == 0 ? null : movie.Genres.ToArray(),
            PublishedAt = published,
            Version = 1,
        };
    }

    private static void AddDistinct<TKey>(Dictionary<TKey, List<string>> map, TKey key, string value)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        if (!list.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            list.Add(value);
        }
    }

    [GeneratedRegex(@"\((\d{4})\)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex YearPattern();
}
