namespace StreamRec.Infra.Tests.Support;

/// <summary>Paths into the repository checkout the tests run from.</summary>
public static class Repo
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The directory holding StreamRec.sln, found by walking up from the test binaries.</summary>
    public static string Root => LazyRoot.Value;

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>Repository-relative paths (with '/') of files under <paramref name="folder"/> matching <paramref name="pattern"/>.</summary>
    public static IReadOnlyList<string> Files(string folder, string pattern) =>
        [.. Directory.EnumerateFiles(PathOf(folder), pattern, SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)];

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamRec.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"StreamRec.sln not found above {AppContext.BaseDirectory}");
    }
}
