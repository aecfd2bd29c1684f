using System.Net;
using System.Net.Sockets;
using StreamRec.Datasets;

namespace StreamRec.Evaluation.Tests.Datasets;

public sealed class DatasetDownloaderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "streamrec-dl-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static int ClosedPort()
    {
        // Bind then release: nothing listens there afterwards, so connecting is refused at once.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task DownloadAsync_ConnectionRefused_FailsFastWithAdvice()
    {
        var downloader = new DatasetDownloader(new Uri($"http://127.0.0.1:{ClosedPort()}/ml-latest-small.zip"), targetDirectory: _dir, connectTimeout: TimeSpan.FromSeconds(15));

        var ex = await Assert.ThrowsAsync<DatasetDownloadException>(() => downloader.DownloadAsync(null, TestContext.Current.CancellationToken));

        Assert.Contains("cannot download", ex.Message, StringComparison.Ordinal);
        Assert.Contains(MovieLensDataset.PathEnvironmentVariable, ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(downloader.TargetPath));
        Assert.False(File.Exists(downloader.TargetPath + ".part"));
    }

    [Fact]
    public async Task DownloadAsync_ExistingFileWithPinnedHash_IsReusedWithoutNetwork()
    {
        Directory.CreateDirectory(_dir);
        var content = "not really a zip"u8.ToArray();
        var target = Path.Combine(_dir, "data.zip");
        await File.WriteAllBytesAsync(target, content, TestContext.Current.CancellationToken);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
        var downloader = new DatasetDownloader(new Uri($"http://127.0.0.1:{ClosedPort()}/data.zip"), hash, _dir);

        var path = await downloader.DownloadAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(Path.GetFullPath(target), path);
    }

    [Fact]
    public async Task PinnedHash_MatchesTheSharedRelease()
    {
        var zip = TestData.RealZip();
        if (zip is null)
        {
            Assert.Skip("ml-latest-small.zip not found on this machine");
        }

        Assert.Equal(DatasetDownloader.MovieLensSmallSha256, await DatasetDownloader.HashOfAsync(zip, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void FindZip_ExplicitFolder_FindsTheZipInside()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllBytes(Path.Combine(_dir, MovieLensDataset.ZipFileName), [1]);

        Assert.Equal(Path.GetFullPath(Path.Combine(_dir, MovieLensDataset.ZipFileName)), MovieLensDataset.FindZip(_dir));
        Assert.Null(MovieLensDataset.FindZip(Path.Combine(_dir, "missing.zip")));
    }
}
