using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace StreamRec.Datasets;

/// <param name="MovieId">GroupLens movie id.</param>
/// <param name="Title">Title with the year in parentheses, e.g. <c>Toy Story (1995)</c>.</param>
/// <param name="Genres">Genres (split on <c>|</c>); empty for <c>(no genres listed)</c>.</param>
public sealed record MovieLensMovie(int MovieId, string Title, IReadOnlyList<string> Genres);

/// <param name="Rating">0.5 to 5 in half-star steps.</param>
public sealed record MovieLensRating(int UserId, int MovieId, double Rating, DateTimeOffset Timestamp);

public sealed record MovieLensTag(int UserId, int MovieId, string Tag, DateTimeOffset Timestamp);

/// <summary>
/// The GroupLens MovieLens "latest-small" release (Harper &amp; Konstan 2015), read straight from its zip:
/// movies.csv, ratings.csv and tags.csv. The data stays where it is; nothing is extracted or copied.
/// </summary>
public sealed class MovieLensDataset
{
    /// <summary>Environment variable naming the zip (or a folder holding it). Checked first.</summary>
    public const string PathEnvironmentVariable = "STREAMREC_DATA";

    /// <summary>The release's file name.</summary>
    public const string ZipFileName = "ml-latest-small.zip";

    private static readonly string[] RelativeCandidates =
    [
        Path.Combine("..", "shared", "data", "movielens-ml-latest-small", ZipFileName),
        Path.Combine("..", "..", "shared", "data", "movielens-ml-latest-small", ZipFileName),
        Path.Combine(DatasetDownloader.DefaultDirectory, ZipFileName),
    ];

    private static readonly string[] NoGenres = [];

    public MovieLensDataset(IReadOnlyList<MovieLensMovie> movies, IReadOnlyList<MovieLensRating> ratings, IReadOnlyList<MovieLensTag> tags)
    {
        Movies = movies;
        Ratings = ratings;
        Tags = tags;
    }

    public IReadOnlyList<MovieLensMovie> Movies { get; }

    /// <summary>Ratings in file order (by user, then movie); <see cref="MovieLensEvents"/> orders them by time.</summary>
    public IReadOnlyList<MovieLensRating> Ratings { get; }

    public IReadOnlyList<MovieLensTag> Tags { get; }

    public int UserCount => Ratings.Select(r => r.UserId).Distinct().Count();

    /// <summary>
    /// Where the zip is, without downloading: <paramref name="explicitPath"/> when given (a zip, or a folder holding
    /// <see cref="ZipFileName"/>), else <c>$STREAMREC_DATA</c>, else the first existing of
    /// <c>../shared/data/movielens-ml-latest-small/ml-latest-small.zip</c>, <c>../../shared/data/...</c> and
    /// <c>.streamrec/data/ml-latest-small.zip</c> relative to the current directory. Null when none exists.
    /// </summary>
    public static string? FindZip(string? explicitPath = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return Existing(explicitPath);
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(PathEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment) && Existing(fromEnvironment) is { } found)
        {
            return found;
        }

        foreach (var candidate in RelativeCandidates)
        {
            var full = Path.GetFullPath(candidate);
            if (File.Exists(full))
            {
                return full;
            }
        }

        return null;
    }

    /// <summary>
    /// <see cref="FindZip"/>, and when nothing is found, downloads the release with <paramref name="downloader"/>
    /// (verifying its SHA-256). Throws <see cref="DatasetDownloadException"/> when the download is impossible (offline).
    /// </summary>
    public static async Task<string> ResolveZipAsync(string? explicitPath, DatasetDownloader downloader, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        if (FindZip(explicitPath) is { } path)
        {
            return path;
        }

        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            throw new FileNotFoundException($"MovieLens zip not found at '{explicitPath}'", explicitPath);
        }

        return await downloader.DownloadAsync(progress, cancellationToken);
    }

    /// <summary>Loads the dataset from the zip at <paramref name="zipPath"/>.</summary>
    public static MovieLensDataset Load(string zipPath)
    {
        using var stream = File.OpenRead(zipPath);
        return Load(stream);
    }

    /// <summary>Loads the dataset from a zip stream. Files are found by name anywhere in the archive (the release nests them in a folder).</summary>
    /// <exception cref="InvalidDataException">A file is missing or a line is malformed (the message names the file and line).</exception>
    public static MovieLensDataset Load(Stream zipStream)
    {
        using var archive = new ZipArchive(zipStream, ZipArchiveMode.Read, leaveOpen: true);
        var movies = ReadTable(archive, "movies.csv", 3, (f, _) => new MovieLensMovie(
            Int(f[0]),
            f[1],
            f[2] == "(no genres listed)" ? NoGenres : f[2].Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        var ratings = ReadTable(archive, "ratings.csv", 4, (f, _) => new MovieLensRating(Int(f[0]), Int(f[1]), double.Parse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture), Time(f[3])));
        var tags = ReadTable(archive, "tags.csv", 4, (f, _) => new MovieLensTag(Int(f[0]), Int(f[1]), f[2], Time(f[3])));
        return new MovieLensDataset(movies, ratings, tags);
    }

    private static string? Existing(string path)
    {
        if (File.Exists(path))
        {
            return Path.GetFullPath(path);
        }

        var inFolder = Path.Combine(path, ZipFileName);
        return File.Exists(inFolder) ? Path.GetFullPath(inFolder) : null;
    }

    private static List<T> ReadTable<T>(ZipArchive archive, string name, int columns, Func<string[], int, T> map)
    {
        var entry = archive.Entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
                    ?? throw new InvalidDataException($"the archive has no {name}");
        using var reader = new StreamReader(entry.Open(), Encoding.UTF8);
        var result = new List<T>();
        var record = 0;
        foreach (var fields in CsvReader.ReadRecords(reader))
        {
            record++;
            if (record == 1)
            {
                continue; // header
            }

            if (fields.Length != columns)
            {
                throw new InvalidDataException($"{name} record {record}: expected {columns} fields, found {fields.Length}");
            }

            try
            {
                result.Add(map(fields, record));
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException($"{name} record {record}: {ex.Message}", ex);
            }
        }

        return result;
    }

    private static int Int(string s) => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(string s) => DateTimeOffset.FromUnixTimeSeconds(long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture));
}
