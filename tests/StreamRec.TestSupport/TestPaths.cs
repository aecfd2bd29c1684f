namespace StreamRec.TestSupport;

/// <summary>Finds the repository and the shared folder beside it (models, data), wherever the tests run from.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>../shared next to the checkout (or STREAMREC_SHARED).</summary>
    public static string Shared { get; } = Environment.GetEnvironmentVariable("STREAMREC_SHARED") is { Length: > 0 } s ? s : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string SharedModels => Path.Combine(Shared, "models");

    public static bool HasVocab => File.Exists(Path.Combine(SharedModels, "bert-base-uncased-vocab", "vocab.txt"));

    public static string NewTempDir(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamRec.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("StreamRec.sln not found above " + AppContext.BaseDirectory);
    }
}
