using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StreamRec.Encoding.Provisioning;

namespace StreamRec.Encoding.Tests.RealModels;

/// <summary>
/// The CUDA build (<c>make build-gpu</c>: <c>-p:StreamRecGpu=true</c>, ONNX Runtime's Linux CUDA package). On a machine
/// with a GPU the encoder runs there and agrees with the CPU; without one it says which CUDA library is missing, once,
/// and runs on the CPU.
/// </summary>
[Collection(RealModelCollection.Name)]
public sealed class GpuBuildTests(RealModelFixture fixture)
{
    [Fact]
    public async Task CudaRequested_GpuBuild_RunsOnGpuOrFallsBackToCpuNamingTheMissingLibrary()
    {
        if (!IsGpuBuild)
        {
            Assert.Skip("CPU build: this test runs in the CUDA build (make build-gpu).");
        }

        var logger = new FakeLogger<OnnxTextEncoder>();
        var options = new EncoderOptions { ModelsDirectory = fixture.Options.ModelsDirectory, Provider = ExecutionProviderKind.Cuda, IntraOpThreads = 1 };
        using var encoder = new OnnxTextEncoder(new ModelProvisioner(options).Resolve(), options, logger);

        var texts = new[] { "The new movie is awesome", "The new movie is so great" };
        var onDevice = await encoder.EncodeAsync(texts, TestContext.Current.CancellationToken);
        var onCpu = await fixture.MiniLm.EncodeAsync(texts, TestContext.Current.CancellationToken);

        var warnings = logger.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning).ToList();
        if (encoder.Info.ExecutionProvider == "cuda")
        {
            Assert.Empty(warnings);
        }
        else
        {
            Assert.Equal("cpu", encoder.Info.ExecutionProvider);
            var warning = Assert.Single(warnings);
            Assert.Equal(3001, warning.Id.Id);
            // The CUDA package is there and loads; what is missing is the CUDA runtime it links against.
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(warning.Message, @"lib\w+\.so"), warning.Message);
        }

        VectorAssert.Close(onCpu[0], onDevice[0], 1e-3f);
        VectorAssert.Close(onCpu[1], onDevice[1], 1e-3f);
    }

#if STREAMREC_GPU
    private static readonly bool IsGpuBuild = true;
#else
    private static readonly bool IsGpuBuild = false;
#endif
}
