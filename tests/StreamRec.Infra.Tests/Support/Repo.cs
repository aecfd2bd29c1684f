using StreamRec.TestSupport;

namespace StreamRec.Infra.Tests.Support;

/// <summary>Paths into the repository checkout the tests run from.</summary>
public static class Repo
{
    /// <summary>The directory holding StreamRec.sln, found by walking up from the test binaries.</summary>
    public static string Root => TestPaths.RepoRoot;

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>Repository-relative paths (with '/') of files under <paramref name="folder"/> matching <paramref name="pattern"/>.</summary>
    public static IReadOnlyList<string> Files(string folder, string pattern) =>
        [.. Directory.EnumerateFiles(PathOf(folder), pattern, SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)];
}
