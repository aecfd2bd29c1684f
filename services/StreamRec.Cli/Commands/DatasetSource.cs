using System.CommandLine;
using StreamRec.Contracts;
using StreamRec.Datasets;

namespace StreamRec.Cli.Commands;

/// <summary>The dataset options shared by replay and run: MovieLens (from ../shared, a path, or downloaded) or a JSON-lines file.</summary>
internal sealed class DatasetSource
{
    public Option<string> Dataset { get; } = new("--dataset")
    {
        Description = "movielens, or the path of a JSON-lines file of StreamRec events (one Kafka message per line).",
        DefaultValueFactory = _ => "movielens",
    };

    public Option<string?> Path { get; } = new("--path")
    {
        Description = "MovieLens zip (default: STREAMREC_DATA, then ../shared/data/movielens-ml-latest-small/ml-latest-small.zip, else downloaded from GroupLens with its SHA-256 checked).",
    };

    public Option<int?> Limit { get; } = new("--limit") { Description = "MovieLens: replay only the first N ratings (in time order). Default: all 100,836." };

    public void AddTo(Command command)
    {
        command.Options.Add(Dataset);
        command.Options.Add(Path);
        command.Options.Add(Limit);
    }

    /// <summary>Loads the events in time order; says where the data came from on <paramref name="log"/>.</summary>
    public async Task<IReadOnlyList<IStreamRecEvent>> LoadAsync(System.CommandLine.ParseResult parse, TextWriter log, CancellationToken cancellationToken, string? datasetOverride = null)
    {
        var dataset = datasetOverride ?? parse.GetValue(Dataset)!;
        if (!string.Equals(dataset, "movielens", StringComparison.OrdinalIgnoreCase))
        {
            var bad = 0;
            var events = JsonLinesDataset.Read(dataset, error =>
            {
                bad++;
                log.WriteLine($"skipped {error}");
            }).ToList();
            log.WriteLine($"{events.Count:N0} events from {dataset} ({bad} bad lines skipped)");
            return events;
        }

        var downloader = new DatasetDownloader();
        var lastPercent = -1;
        var progress = new Progress<DownloadProgress>(p =>
        {
            if (p.TotalBytes is > 0 && (int)(100 * p.BytesReceived / p.TotalBytes.Value) is var percent && percent / 10 != lastPercent / 10)
            {
                lastPercent = percent;
                log.WriteLine($"downloading MovieLens: {percent}%");
            }
        });
        var zip = await MovieLensDataset.ResolveZipAsync(parse.GetValue(Path), downloader, progress, cancellationToken);
        var movieLens = MovieLensDataset.Load(zip);
        var options = new MovieLensEventOptions { MaxRatings = parse.GetValue(Limit) };
        var all = MovieLensEvents.ToEvents(movieLens, options).ToList();
        log.WriteLine($"MovieLens from {zip}: {movieLens.Movies.Count:N0} movies, {movieLens.Ratings.Count:N0} ratings, {movieLens.UserCount:N0} users → {all.Count:N0} events");
        log.WriteLine("  (GroupLens ml-latest-small, research use; cite Harper & Konstan 2015. Mapping: docs/datasets.md)");
        return all;
    }
}
