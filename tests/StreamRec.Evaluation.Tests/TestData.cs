using System.IO.Compression;
using System.Text;
using StreamRec.Datasets;

namespace StreamRec.Evaluation.Tests;

/// <summary>Small MovieLens-shaped zips built in memory, and the real release when this machine has it.</summary>
internal static class TestData
{
    public static MemoryStream Zip(string movies, string ratings, string tags)
    {
        var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(archive, "ml-latest-small/movies.csv", movies);
            Add(archive, "ml-latest-small/ratings.csv", ratings);
            Add(archive, "ml-latest-small/tags.csv", tags);
        }

        stream.Position = 0;
        return stream;
    }

    /// <summary>The real zip, found the way the product finds it; null when absent.</summary>
    public static string? RealZip()
    {
        var found = MovieLensDataset.FindZip();
        if (found is not null)
        {
            return found;
        }

        // Test runs start in bin/...; walk up to the folder that sits next to shared/.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "movielens-ml-latest-small", MovieLensDataset.ZipFileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static void Add(ZipArchive archive, string name, string content)
    {
        var entry = archive.CreateEntry(name);
        using var writer = new StreamWriter(entry.Open(), new UTF8Encoding(false));
        writer.Write(content);
    }
}
