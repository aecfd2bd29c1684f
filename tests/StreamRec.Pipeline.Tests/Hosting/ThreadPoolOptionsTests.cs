using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StreamRec.Hosting;

namespace StreamRec.Pipeline.Tests.Hosting;

public sealed class ThreadPoolOptionsTests
{
    [Fact]
    public void Apply_RaisesTheMinimumToTheOption_AndNeverLowersIt()
    {
        ThreadPool.GetMinThreads(out var before, out _);
        var raised = new ThreadPoolOptions { MinWorkerThreads = before + 3 }.Apply();
        ThreadPool.GetMinThreads(out var after, out _);
        Assert.Equal(before + 3, raised);
        Assert.Equal(before + 3, after);

        Assert.Equal(before + 3, new ThreadPoolOptions { MinWorkerThreads = 1 }.Apply());
        Assert.Equal(before + 3, new ThreadPoolOptions { MinWorkerThreads = 0 }.Apply());
    }

    [Fact]
    public void Default_Is16()
    {
        Assert.Equal(16, new ThreadPoolOptions().MinWorkerThreads);
    }

    [Fact]
    public async Task Host_AppliesTheOption_BeforeTheStoreAndTheConsumersStart()
    {
        ThreadPool.GetMinThreads(out var before, out _);
        using var host = Build(new() { ["StreamRec:ThreadPool:MinWorkerThreads"] = (before + 5).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var hosted = host.Services.GetServices<IHostedService>().ToList();
        var setup = hosted.FindIndex(s => s.GetType().Name == "ThreadPoolSetup");
        var store = hosted.FindIndex(s => s.GetType().Name == "StoreInitializer");
        Assert.True(setup >= 0 && store >= 0 && setup < store, $"thread pool setup at {setup}, store initializer at {store}");

        await hosted[setup].StartAsync(CancellationToken.None);
        ThreadPool.GetMinThreads(out var after, out _);
        Assert.Equal(before + 5, after);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("5000")]
    public void Host_RejectsAnOutOfRangeMinimum_NamingTheOption(string value)
    {
        using var host = Build(new() { ["StreamRec:ThreadPool:MinWorkerThreads"] = value });
        var ex = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<ThreadPoolOptions>>().Value);
        Assert.Contains("MinWorkerThreads", ex.Message, StringComparison.Ordinal);
    }

    private static WebApplication Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddStreamRecDefaults(defaultPort: 0);
        return builder.Build();
    }
}
