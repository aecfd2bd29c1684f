using System.Diagnostics;
using StreamRec.Contracts;
using StreamRec.Kafka.Tests.Fixtures;

namespace StreamRec.Kafka.Tests.Cli;

/// <summary>The <c>streamrec broker</c> and <c>streamrec produce</c> verbs, run as child processes.</summary>
public sealed class CliVerbTests(MockClusterFixture fixture) : IDisposable
{
    private readonly KafkaTestKit _kit = new(fixture.BootstrapServers);
    private readonly string _workDir = Directory.CreateTempSubdirectory("streamrec-cli-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Broker_PrintsItsAddress_ServesAllStreamRecTopics_AndStopsOnSigterm()
    {
        ExternalProcess.RequireKcat();
        using var broker = Process.Start(ExternalProcess.StreamRec(_workDir, "broker", "--partitions", "2", "--brokers", "1"))!;
        try
        {
            var output = new List<string>();
            string? bootstrap = null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (bootstrap is null && await broker.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                output.Add(line);
                if (line.StartsWith("bootstrap: ", StringComparison.Ordinal))
                {
                    bootstrap = line["bootstrap: ".Length..];
                }
            }

            Assert.True(bootstrap is not null, "no bootstrap line in: " + string.Join(" | ", output));
            Assert.Contains("in-memory, for development and tests only: everything is lost when it stops", output);
            Assert.Equal(bootstrap, (await File.ReadAllTextAsync(Path.Combine(_workDir, ".streamrec", "broker"), Ct)).Trim());

            var (exit, stdout, stderr) = await ExternalProcess.RunAsync(ExternalProcess.KcatInfo("-L", "-b", bootstrap), null, TimeSpan.FromSeconds(30), Ct);
            Assert.True(exit == 0, $"kcat -L failed: {stderr}");
            var metadata = System.Text.Encoding.UTF8.GetString(stdout);
            foreach (var topic in Topics.All)
            {
                Assert.Contains($"topic \"{topic}\" with 2 partitions", metadata, StringComparison.Ordinal);
            }

            using var kill = Process.Start("kill", ["-TERM", broker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync(Ct);
            using var exitWait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            exitWait.CancelAfter(TimeSpan.FromSeconds(20));
            await broker.WaitForExitAsync(exitWait.Token);
            Assert.Equal(0, broker.ExitCode);
            Assert.False(File.Exists(Path.Combine(_workDir, ".streamrec", "broker")), "the address file outlived the broker");
        }
        finally
        {
            if (!broker.HasExited)
            {
                broker.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Produce_SendsValidLinesToTheirTopicsKeyed_AndReportsInvalidLinesByNumber()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        string[] lines =
        [
            $$"""{"schema":"streamrec.click/v1","event_id":"e1-{{run}}","user_id":"u-{{run}}","item_id":"i-1","occurred_at":"2026-01-01T10:00:00Z"}""",
            "this is not json",
            $$"""{"schema":"streamrec.item-upserted/v1","event_id":"e2-{{run}}","item_id":"item-{{run}}","title":"Heat (1995)","tags":["crime"],"occurred_at":"2026-01-01T10:00:00Z"}""",
            """{"schema":"streamrec.nope/v9","event_id":"x"}""",
            "",
            $$"""{"schema":"streamrec.review/v1","event_id":"e3-{{run}}","user_id":"u-{{run}}","item_id":"i-1","rating":2,"occurred_at":"2026-01-01T10:00:01Z"}""",
        ];
        var file = Path.Combine(_workDir, "events.jsonl");
        await File.WriteAllTextAsync(file, string.Join("\r\n", lines) + "\n", Ct);

        var (exit, stdout, stderr) = await ExternalProcess.RunAsync(
            ExternalProcess.StreamRec(_workDir, "produce", "--file", file, "--bootstrap", fixture.BootstrapServers), null, TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(1, exit);
        Assert.Contains("produced 3, rejected 2", System.Text.Encoding.UTF8.GetString(stdout), StringComparison.Ordinal);
        var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, errors.Length);
        Assert.StartsWith("line 2: MalformedJson", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("line 4: UnknownSchema", errors[1], StringComparison.Ordinal);

        await AssertLandedAsync(Topics.UserEvents, $"u-{run}", lines[0]);
        await AssertLandedAsync(Topics.Items, $"item-{run}", lines[2]);
        await AssertLandedAsync(Topics.UserEvents, $"u-{run}", lines[5]);
    }

    [Fact]
    public async Task Produce_AllValid_ExitsZero_ReadingStandardInput()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var line = $$"""{"schema":"streamrec.click/v1","event_id":"s-{{run}}","user_id":"stdin-{{run}}","item_id":"i-7","occurred_at":"2026-01-01T10:00:00Z"}""";
        var (exit, stdout, stderr) = await ExternalProcess.RunAsync(
            ExternalProcess.StreamRec(_workDir, "produce", "--bootstrap", fixture.BootstrapServers), System.Text.Encoding.UTF8.GetBytes(line + "\n"), TimeSpan.FromSeconds(60), Ct);
        Assert.True(exit == 0, stderr);
        Assert.Contains("produced 1, rejected 0", System.Text.Encoding.UTF8.GetString(stdout), StringComparison.Ordinal);
        await AssertLandedAsync(Topics.UserEvents, $"stdin-{run}", line);
    }

    private async Task AssertLandedAsync(string topic, string key, string line)
    {
        var read = await _kit.ReadAsync(topic, r => r.Any(m => m.Message.Key is { } k && System.Text.Encoding.UTF8.GetString(k) == key && m.Message.Value.SequenceEqual(System.Text.Encoding.UTF8.GetBytes(line))), TimeSpan.FromSeconds(15), Ct);
        Assert.Contains(read, m => m.Message.Key is { } k && System.Text.Encoding.UTF8.GetString(k) == key && m.Message.Value.SequenceEqual(System.Text.Encoding.UTF8.GetBytes(line)));
    }

    public void Dispose()
    {
        _kit.Dispose();
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
