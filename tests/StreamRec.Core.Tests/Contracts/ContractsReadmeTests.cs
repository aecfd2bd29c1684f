using System.Text;
using System.Text.RegularExpressions;
using StreamRec.Contracts;

namespace StreamRec.Core.Tests.Contracts;

/// <summary>contracts/README.md is what users read first: its topics table and examples must not drift from the code.</summary>
public sealed partial class ContractsReadmeTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(ContractFiles.Directory, "README.md"));

    [Fact]
    public void TopicsTable_ListsEveryTopic_AndWhichAreCompacted()
    {
        var rows = TopicRow().Matches(Readme).ToDictionary(m => m.Groups["topic"].Value, m => m.Groups["rest"].Value, StringComparer.Ordinal);

        Assert.Equal(Topics.All.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var (topic, rest) in rows)
        {
            Assert.Equal(Topics.Compacted.Contains(topic), rest.TrimEnd().EndsWith("| compacted |", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void TopicsTable_PutsEverySchemaOnItsTopic()
    {
        var rows = TopicRow().Matches(Readme).ToDictionary(m => m.Groups["topic"].Value, m => m.Groups["rest"].Value, StringComparer.Ordinal);

        foreach (var e in SampleEvents.All())
        {
            Assert.Contains($"`{e.Schema}`", rows[e.Topic], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task JsonExamples_AreValid_ForTheSchemaAndTheParser_OnePerMessage()
    {
        var examples = JsonBlock().Matches(Readme).Select(m => m.Groups["json"].Value).ToArray();
        var kinds = new List<string>();

        foreach (var json in examples)
        {
            var parsed = EventParser.Parse(Encoding.UTF8.GetBytes(json));
            Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
            Assert.Empty(await ContractFiles.ValidateAsync(parsed.Event!.Schema, json));
            kinds.Add(parsed.Event.Schema);
        }

        Assert.Equal(Schemas.All.Order(StringComparer.Ordinal), kinds.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DeadLetterCodeTable_ListsEveryCode_InOrder()
    {
        var codes = CodeRow().Matches(Readme).Select(m => m.Groups["code"].Value).ToArray();

        Assert.Equal(DeadLetterCodes.All, codes);
    }

    [GeneratedRegex(@"^\| `(?<code>[A-Za-z0-9]+)` \|", RegexOptions.Multiline)]
    private static partial Regex CodeRow();

    [GeneratedRegex(@"^\| `(?<topic>streamrec\.[a-z\-]+)` \|(?<rest>.*)$", RegexOptions.Multiline)]
    private static partial Regex TopicRow();

    [GeneratedRegex(@"```json\n(?<json>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
