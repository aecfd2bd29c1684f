using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamRec.Ports;

namespace StreamRec.Encoding.Tests.Encoding;

[Collection(TinyModelCollection.Name)]
public sealed class EncodingServiceCollectionExtensionsTests(TinyModelFixture fixture)
{
    private ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddStreamRecEncoder();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task AddStreamRecEncoder_ConfiguredModel_ResolvesSingletonTextEncoder()
    {
        using var provider = Build(new()
        {
            ["StreamRec:Encoder:ModelPath"] = fixture.Model.Path,
            ["StreamRec:Encoder:VocabPath"] = fixture.VocabPath,
            ["StreamRec:Encoder:MaxBatchSize"] = "4",
            ["StreamRec:Encoder:IntraOpThreads"] = "1",
        });

        var encoder = provider.GetRequiredService<ITextEncoder>();
        var vectors = await encoder.EncodeAsync(["through dependency injection"], TestContext.Current.CancellationToken);

        Assert.Same(encoder, provider.GetRequiredService<ITextEncoder>());
        Assert.Equal(TinyModelFixture.Tiny.Hidden, encoder.Dimension);
        Assert.Equal(4, provider.GetRequiredService<IOptions<EncoderOptions>>().Value.MaxBatchSize);
        VectorAssert.UnitLength(vectors[0], encoder.Dimension);
    }

    [Fact]
    public void AddStreamRecEncoder_InvalidOption_FailsValidation()
    {
        using var provider = Build(new() { ["StreamRec:Encoder:MaxBatchSize"] = "0" });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EncoderOptions>>().Value);

        Assert.Contains("MaxBatchSize", ex.Message, StringComparison.Ordinal);
    }
}
