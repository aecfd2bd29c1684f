using StreamRec.Infra.Tests.Support;

namespace StreamRec.Infra.Tests.Docs;

/// <summary>The README is what users read first: its configuration table must cover every option the code binds.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void ConfigurationTable_ListsEveryOptionTheCodeBinds()
    {
        var readme = Repo.Read("README.md");
        Assert.NotEmpty(OptionsCatalog.Keys);

        var missing = OptionsCatalog.Keys.Where(key => !readme.Contains($"`{key}`", StringComparison.Ordinal)).ToArray();

        Assert.Empty(missing);
    }

    [Fact]
    public void ConfigurationTable_NamesNoOptionThatDoesNotExist()
    {
        var readme = Repo.Read("README.md");
        var named = System.Text.RegularExpressions.Regex.Matches(readme, @"^\| `(StreamRec:[A-Za-z:]+)` \|", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value)
            .ToArray();

        Assert.NotEmpty(named);
        Assert.Empty(named.Except(OptionsCatalog.Keys));
    }

    [Fact]
    public void QuickStart_GivesExactlyTheTwoCommands()
    {
        var readme = Repo.Read("README.md");
        var start = readme.IndexOf("## Quick start", StringComparison.Ordinal);
        var block = readme[readme.IndexOf("```bash", start, StringComparison.Ordinal)..];
        block = block[..block.IndexOf("```", 7, StringComparison.Ordinal)];
        var commands = block.Split('\n').Skip(1).Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0).ToArray();

        Assert.Equal(["make run", "make test"], commands);
        Assert.Contains("make test", File.ReadAllText(Repo.PathOf(".ci/run")), StringComparison.Ordinal);
    }
}
