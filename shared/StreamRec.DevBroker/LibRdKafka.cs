using System.Reflection;
using System.Runtime.InteropServices;

namespace StreamRec.DevBroker;

/// <summary>
/// P/Invoke into the librdkafka that Confluent.Kafka uses. The mock-cluster functions are not wrapped
/// by Confluent.Kafka, so we bind them ourselves, and we bind them to the very same shared object:
/// two copies of librdkafka in one process would work over TCP but double the threads, memory and
/// global state, and make a crash in one impossible to attribute.
/// </summary>
internal static partial class LibRdKafka
{
    private const string LibraryName = "librdkafka";
    private static readonly Lock Gate = new();
    private static nint _handle;

    /// <summary>Order matters: on glibc Linux the plain librdkafka.so of the redist package links
    /// against libsasl2.so.3, which Debian does not ship, while centos8-librdkafka.so is self-contained.
    /// Confluent.Kafka falls back the same way, so trying centos8 first lands on the file it uses.</summary>
    private static readonly string[] Candidates =
    [
        "centos8-librdkafka.so",
        "librdkafka.so",
        "alpine-librdkafka.so",
        "librdkafka.dylib",
        "librdkafka.dll",
    ];

    /// <summary>Loads librdkafka once, makes Confluent.Kafka use that same file, and routes this
    /// assembly's imports to it.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_handle != 0)
            {
                return;
            }

            // Let Confluent.Kafka load librdkafka its own way first, then bind to the file it mapped.
            // (Library.Load(path) is no way round: on Linux it dlopens through "libdl", which glibc
            // systems without the dev package do not have.)
            _ = Confluent.Kafka.Library.Version;
            var path = LoadedByConfluent() ?? Resolve() ?? throw new DllNotFoundException(
                "librdkafka was not found next to the application (runtimes/<rid>/native). Reference Confluent.Kafka so librdkafka.redist is copied.");
            _handle = NativeLibrary.Load(path);
            NativeLibrary.SetDllImportResolver(typeof(LibRdKafka).Assembly, ResolveImport);
        }
    }

    private static nint ResolveImport(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == LibraryName ? _handle : 0;

    /// <summary>The librdkafka file mapped into this process, read from /proc/self/maps (Linux only).</summary>
    private static string? LoadedByConfluent()
    {
        const string maps = "/proc/self/maps";
        if (!OperatingSystem.IsLinux() || !File.Exists(maps))
        {
            return null;
        }

        return File.ReadLines(maps)
            .Select(line => line.IndexOf('/', StringComparison.Ordinal) is var i and >= 0 ? line[i..] : null)
            .FirstOrDefault(path => path is not null && Path.GetFileName(path).Contains("librdkafka", StringComparison.Ordinal) && File.Exists(path));
    }

    private static string? Resolve()
    {
        var baseDir = AppContext.BaseDirectory;
        var rid = RuntimeInformation.RuntimeIdentifier;
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        string[] ridDirs = OperatingSystem.IsLinux() ? [$"linux-{arch}"]
            : OperatingSystem.IsMacOS() ? [$"osx-{arch}"]
            : OperatingSystem.IsWindows() ? [$"win-{arch}"]
            : [rid];
        foreach (var dir in ridDirs.Select(d => Path.Combine(baseDir, "runtimes", d, "native")).Append(baseDir))
        {
            foreach (var candidate in Candidates)
            {
                var path = Path.Combine(dir, candidate);
                // Probe by actually loading: a file that exists but misses a dependency must be skipped.
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out var probe))
                {
                    NativeLibrary.Free(probe);
                    return path;
                }
            }
        }

        return null;
    }

    [LibraryImport(LibraryName)]
    public static partial nint rd_kafka_conf_new();

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_conf_set(nint conf, string name, string value, byte[] errstr, nuint errstrSize);

    [LibraryImport(LibraryName)]
    public static partial void rd_kafka_conf_destroy(nint conf);

    /// <param name="type">0 = producer, 1 = consumer.</param>
    [LibraryImport(LibraryName)]
    public static partial nint rd_kafka_new(int type, nint conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(LibraryName)]
    public static partial void rd_kafka_destroy(nint rk);

    [LibraryImport(LibraryName)]
    public static partial nint rd_kafka_version_str();

    [LibraryImport(LibraryName)]
    public static partial nint rd_kafka_mock_cluster_new(nint rk, int brokerCount);

    [LibraryImport(LibraryName)]
    public static partial void rd_kafka_mock_cluster_destroy(nint mcluster);

    [LibraryImport(LibraryName)]
    public static partial nint rd_kafka_mock_cluster_bootstraps(nint mcluster);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_topic_create(nint mcluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(LibraryName)]
    public static partial void rd_kafka_mock_push_request_errors_array(nint mcluster, short apiKey, nuint count, int[] errors);

    [LibraryImport(LibraryName)]
    public static partial void rd_kafka_mock_clear_request_errors(nint mcluster, short apiKey);

    [LibraryImport(LibraryName)]
    public static partial int rd_kafka_mock_broker_set_down(nint mcluster, int brokerId);

    [LibraryImport(LibraryName)]
    public static partial int rd_kafka_mock_broker_set_up(nint mcluster, int brokerId);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_partition_set_leader(nint mcluster, string topic, int partition, int brokerId);

    [LibraryImport(LibraryName)]
    public static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(nint mcluster, int delayMs);

    [LibraryImport(LibraryName)]
    public static partial int rd_kafka_mock_broker_set_rtt(nint mcluster, int brokerId, int rttMs);
}
