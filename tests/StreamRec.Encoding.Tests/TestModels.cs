using StreamRec.Encoding.Provisioning;
using StreamRec.Encoding.Synthesis;

namespace StreamRec.Encoding.Tests;

/// <summary>
/// One tiny synthesized model per test run (2 layers, hidden 32), plus the real bert-base-uncased vocabulary found the
/// same way production finds it. Tests that need the vocabulary skip with the reason when it is missing.
/// </summary>
public sealed class TinyModelFixture : IDisposable
{
    public static readonly BertArchitecture Tiny = new() { Layers = 2, Hidden = 32, Heads = 2, Intermediate = 64, MaxPositions = 512 };

    public TinyModelFixture()
    {
        Directory.CreateDirectory(Root);
        Model = ModelSynthesizer.Write(Path.Combine(Root, "tiny", "model.onnx"), Tiny, seed: 7, modelName: "tiny-test");
        SharedModelsPath = FindSharedModels();
        VocabDirectory = new ModelProvisioner(new EncoderOptions { SharedModelsPath = SharedModelsPath }).SharedVocabDirectory();
    }

    /// <summary>
    /// The production rule (env var, else ../shared/models from the current directory), applied from the repository
    /// root as well: test runners start in bin/, not where the service would run.
    /// </summary>
    public static string FindSharedModels()
    {
        var fromDefault = EncoderOptions.DefaultSharedModelsPath();
        if (fromDefault.Length > 0)
        {
            return fromDefault;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamRec.sln")))
            {
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "models"));
                return Directory.Exists(candidate) ? candidate : "";
            }
        }

        return "";
    }

    public string SharedModelsPath { get; }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "streamrec-encoding-tests-" + Guid.NewGuid().ToString("N"));

    public SynthesizedModel Model { get; }

    /// <summary>bert-base-uncased-vocab folder, or null when not present on this machine.</summary>
    public string? VocabDirectory { get; }

    public string VocabPath
    {
        get
        {
            if (VocabDirectory is null)
            {
                Assert.Skip($"The bert-base-uncased vocabulary was not found (set {EncoderOptions.SharedModelsEnvironmentVariable} or keep ../shared/models next to the repo).");
            }

            return Path.Combine(VocabDirectory, "vocab.txt");
        }
    }

    public string TokenizerConfigPath => Path.Combine(Path.GetDirectoryName(VocabPath)!, "tokenizer_config.json");

    public ResolvedModel Resolved() => new(Model.Path, VocabPath, TokenizerConfigPath);

    public OnnxTextEncoder CreateEncoder(Action<EncoderOptions>? configure = null)
    {
        var options = new EncoderOptions { IntraOpThreads = 1 };
        configure?.Invoke(options);
        return new OnnxTextEncoder(Resolved(), options);
    }

    public void Dispose()
    {
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
public sealed class TinyModelCollection : ICollectionFixture<TinyModelFixture>
{
    public const string Name = "tiny model";
}
