using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace StreamRec.DevBroker;

/// <summary>
/// The dev broker: librdkafka's mock cluster, which speaks the real Kafka protocol over TCP on
/// 127.0.0.1 (so any Kafka client, including kcat in another process, can use it) but keeps every
/// topic, offset and group in memory. For development and tests only: everything is lost when it is
/// disposed, there is no security, no durability and no admin CreateTopics API (use
/// <see cref="CreateTopic"/>), and librdkafka documents the mock API as experimental.
/// </summary>
/// <remarks>Broker ids run from 1 to the broker count. Fault injection affects every client of the cluster.
/// Known limit of its group coordinator: after a member leaves, the group waits session.timeout − 1 s
/// before it lets the next member in (a real broker rebalances at once).</remarks>
public sealed class MockKafkaCluster : IDisposable
{
    private readonly Lock _gate = new();
    private nint _rk;
    private nint _cluster;

    private MockKafkaCluster(nint rk, nint cluster, int brokers, string bootstrapServers)
    {
        _rk = rk;
        _cluster = cluster;
        BrokerCount = brokers;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>Comma-separated host:port list of the mock brokers (ports are picked by the OS).</summary>
    public string BootstrapServers { get; }

    /// <summary>Number of brokers; their ids are 1..BrokerCount.</summary>
    public int BrokerCount { get; }

    /// <summary>The librdkafka version the cluster (and Confluent.Kafka) runs on.</summary>
    public static string LibrdkafkaVersion
    {
        get
        {
            LibRdKafka.EnsureLoaded();
            return Marshal.PtrToStringUTF8(LibRdKafka.rd_kafka_version_str()) ?? "unknown";
        }
    }

    /// <summary>Starts an in-memory mock cluster with <paramref name="brokers"/> brokers listening on 127.0.0.1.
    /// For development and tests only.</summary>
    public static MockKafkaCluster Start(int brokers = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        LibRdKafka.EnsureLoaded();

        var errstr = new byte[512];
        var conf = LibRdKafka.rd_kafka_conf_new();
        Set(conf, "client.id", "streamrec-devbroker", errstr);
        // The handle only hosts the cluster; it never connects anywhere, so keep its own logging quiet.
        Set(conf, "log_level", "3", errstr);

        // rd_kafka_new takes ownership of conf on success only.
        var rk = LibRdKafka.rd_kafka_new(0, conf, errstr, (nuint)errstr.Length);
        if (rk == 0)
        {
            LibRdKafka.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"rd_kafka_new failed: {ErrorString(errstr)}");
        }

        var cluster = LibRdKafka.rd_kafka_mock_cluster_new(rk, brokers);
        if (cluster == 0)
        {
            LibRdKafka.rd_kafka_destroy(rk);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed (could the brokers bind to 127.0.0.1?)");
        }

        var bootstraps = Marshal.PtrToStringUTF8(LibRdKafka.rd_kafka_mock_cluster_bootstraps(cluster))
            ?? throw new InvalidOperationException("the mock cluster reported no bootstrap servers");
        return new MockKafkaCluster(rk, cluster, brokers, bootstraps);
    }

    /// <summary>Creates a topic (the mock broker does not implement the admin CreateTopics request).
    /// Creating an existing topic is a no-op.</summary>
    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        Check(LibRdKafka.rd_kafka_mock_topic_create(Handle, name, partitions, replicationFactor), $"create topic {name}");
    }

    /// <summary>The next <c>errors.Length</c> requests of <paramref name="apiKey"/> (Kafka protocol key,
    /// e.g. 0 Produce, 1 Fetch, 8 OffsetCommit) fail with these errors, in order. <see cref="ErrorCode.Local_Transport"/>
    /// makes the broker drop the connection instead.</summary>
    public void PushRequestErrors(short apiKey, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Length == 0)
        {
            return;
        }

        var codes = Array.ConvertAll(errors, e => (int)e);
        LibRdKafka.rd_kafka_mock_push_request_errors_array(Handle, apiKey, (nuint)codes.Length, codes);
    }

    /// <summary>Forgets the errors still queued for <paramref name="apiKey"/>.</summary>
    public void ClearRequestErrors(short apiKey) => LibRdKafka.rd_kafka_mock_clear_request_errors(Handle, apiKey);

    /// <summary>Disconnects broker <paramref name="id"/> (-1: all) and refuses new connections. Leadership does not move.</summary>
    public void SetBrokerDown(int id) => Check(LibRdKafka.rd_kafka_mock_broker_set_down(Handle, id), $"set broker {id} down");

    /// <summary>Lets broker <paramref name="id"/> (-1: all) accept connections again.</summary>
    public void SetBrokerUp(int id) => Check(LibRdKafka.rd_kafka_mock_broker_set_up(Handle, id), $"set broker {id} up");

    /// <summary>Moves the partition's leadership to <paramref name="brokerId"/> (-1: leaderless). Creates the topic when missing.</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId) =>
        Check(LibRdKafka.rd_kafka_mock_partition_set_leader(Handle, topic, partition, brokerId), $"set leader of {topic}[{partition}]");

    /// <summary>Delays every response of broker <paramref name="brokerId"/> (-1: all) by <paramref name="rtt"/>.</summary>
    public void SetBrokerRtt(int brokerId, TimeSpan rtt) =>
        Check(LibRdKafka.rd_kafka_mock_broker_set_rtt(Handle, brokerId, checked((int)rtt.TotalMilliseconds)), $"set rtt of broker {brokerId}");

    /// <summary>How long the coordinator waits for more members before the first rebalance of an empty
    /// group (the broker setting <c>group.initial.rebalance.delay.ms</c>, 3 s by default). Zero makes a
    /// lone consumer start at once, which tests want.</summary>
    public void SetGroupInitialRebalanceDelay(TimeSpan delay) =>
        LibRdKafka.rd_kafka_mock_group_initial_rebalance_delay_ms(Handle, checked((int)delay.TotalMilliseconds));

    /// <summary>Stops the brokers; every message and offset they held is gone.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != 0)
            {
                LibRdKafka.rd_kafka_mock_cluster_destroy(_cluster);
                _cluster = 0;
            }

            if (_rk != 0)
            {
                LibRdKafka.rd_kafka_destroy(_rk);
                _rk = 0;
            }
        }
    }

    private nint Handle
    {
        get
        {
            var handle = _cluster;
            ObjectDisposedException.ThrowIf(handle == 0, this);
            return handle;
        }
    }

    private static void Set(nint conf, string name, string value, byte[] errstr)
    {
        if (LibRdKafka.rd_kafka_conf_set(conf, name, value, errstr, (nuint)errstr.Length) != 0)
        {
            LibRdKafka.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"rd_kafka_conf_set({name}) failed: {ErrorString(errstr)}");
        }
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new KafkaException(new Error((ErrorCode)error, $"mock cluster: {what} failed: {(ErrorCode)error}"));
        }
    }

    private static string ErrorString(byte[] errstr)
    {
        var end = Array.IndexOf(errstr, (byte)0);
        return System.Text.Encoding.UTF8.GetString(errstr, 0, end < 0 ? errstr.Length : end);
    }
}
