using StreamRec.Chaos;
using StreamRec.Contracts;
using StreamRec.DevBroker;
using StreamRec.TestSupport;

namespace StreamRec.Reliability.Tests.Support;

/// <summary>
/// A dev broker in the test process, a store file, and <c>streamrec serve --roles all</c> child processes started
/// from the CLI's own build output, configured like the chaos runner's children (TinyModel, short session timeout).
/// </summary>
internal sealed class CrashRig : IDisposable
{
    private readonly List<ServeProcess> _children = [];

    public CrashRig(int partitions = 2, int brokers = 1)
    {
        if (!TestPaths.HasVocab)
        {
            Assert.Skip($"the BERT vocabulary is not at {TestPaths.SharedModels} (set STREAMREC_SHARED)");
        }

        var dll = CliDll();
        if (!File.Exists(dll))
        {
            Assert.Skip($"{dll} is not built: build services/StreamRec.Cli in the same configuration (building this test project does it)");
        }

        Launch = ServeLaunch.FromDll(dll);
        Cluster = MockKafkaCluster.Start(brokers);
        Cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        foreach (var topic in Topics.All)
        {
            Cluster.CreateTopic(topic, partitions, Math.Min(brokers, 3));
        }

        Directory = TestPaths.NewTempDir("streamrec-crash");
        StorePath = Path.Combine(Directory, "vectors.db");
        LogPath = Path.Combine(Directory, "children.log");
        Kafka = new ChaosKafka(Cluster.BootstrapServers, partitions);
        Settings = ChaosRunner.ChildSettings(Cluster.BootstrapServers, StorePath, TinyModel.Path, TimeSpan.FromSeconds(4));
    }

    public ServeLaunch Launch { get; }

    public MockKafkaCluster Cluster { get; }

    public ChaosKafka Kafka { get; }

    public string Directory { get; }

    public string StorePath { get; }

    public string LogPath { get; }

    /// <summary>What every child gets; tests add to it per child.</summary>
    public Dictionary<string, string> Settings { get; }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ServeProcess Start(IReadOnlyDictionary<string, string>? extra = null)
    {
        var child = ServeProcess.Start(Launch, ChaosRunner.Merge(Settings, extra ?? new Dictionary<string, string>()), LogPath);
        _children.Add(child);
        return child;
    }

    /// <summary>Produces the catalog and waits until the item-indexer committed it (so no click waits for its item).</summary>
    public async Task IndexItemsAsync(ChaosWorkload workload, ServeProcess child)
    {
        Kafka.Produce(workload.Items);
        await WaitAsync(() => Kafka.Covers("streamrec.item-indexer", Kafka.HighWatermarks([Topics.Items])), child, TimeSpan.FromSeconds(90), "items indexed");
    }

    /// <summary>Waits until every service group committed everything; fails with the children's log otherwise.</summary>
    public async Task WaitAllCommittedAsync(ServeProcess child, string prefix = "streamrec")
    {
        await WaitAsync(() => Kafka.TryUncommitted(prefix) == 0, child, TimeSpan.FromSeconds(120), $"all committed ({prefix})");
    }

    public async Task WaitAsync(Func<bool> condition, ServeProcess child, TimeSpan timeout, string what)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (child.HasExited)
            {
                Assert.Fail($"the child exited ({child.ExitCode}) while waiting for {what}\n{LogTail()}");
            }

            try
            {
                if (condition())
                {
                    return;
                }
            }
            catch (Confluent.Kafka.KafkaException)
            {
            }

            await Task.Delay(200, Ct);
        }

        Assert.Fail($"timed out waiting for {what}\n{LogTail()}");
    }

    /// <summary>Stops the child with SIGTERM and checks it drained and exited cleanly in time.</summary>
    public async Task StopAsync(ServeProcess child)
    {
        // A SIGTERM that lands before the runtime installed its handler kills the process (exit 143): that tests
        // nothing of ours, so wait until the host is up first (a restarted child may have nothing left to do).
        Assert.True(await child.WaitReadyAsync(TimeSpan.FromSeconds(60), Ct), "the child never became ready\n" + LogTail());
        Assert.True(await child.TerminateAsync(TimeSpan.FromSeconds(30), Ct), "the child did not exit within 30 s of SIGTERM\n" + LogTail());
        Assert.True(child.ExitCode == 0, $"exit code {child.ExitCode} after SIGTERM\n{LogTail()}");
    }

    public async Task<DeliveryAudit> AuditAsync(ChaosWorkload workload)
    {
        var audit = await ChaosAudit.RunAsync(Kafka, StorePath, workload.Items.Select(i => i.ItemId).ToArray(), cancellationToken: Ct);
        Assert.True(audit.EventsIn == workload.UserEvents.Count, $"expected {workload.UserEvents.Count} events in the topics: {audit}");
        return audit;
    }

    public void AssertHolds(DeliveryAudit audit) => Assert.True(audit.Holds, audit + "\n" + LogTail());

    public string LogTail(int lines = 60)
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogPath).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no child log)";
        }
    }

    public string Log() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    private static string CliDll()
    {
        // Same configuration as this test assembly (bin/<Configuration>/net10.0/).
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent?.Name ?? "Debug";
        return Path.Combine(TestPaths.RepoRoot, "services", "StreamRec.Cli", "bin", configuration, "net10.0", "streamrec.dll");
    }

    public void Dispose()
    {
        foreach (var child in _children)
        {
            child.Dispose();
        }

        Kafka.Dispose();
        Cluster.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
