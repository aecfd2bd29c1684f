using StreamRec.Encoding.Synthesis;

namespace StreamRec.TestSupport;

/// <summary>A small synthesized BERT (2 layers, hidden 32) with the real vocabulary, made once per test run.</summary>
public static class TinyModel
{
    private static readonly Lazy<string> LazyPath = new(Create);

    public static string Path => LazyPath.Value;

    private static string Create()
    {
        var dir = TestPaths.NewTempDir("streamrec-tiny-model");
        var vocabDir = System.IO.Path.Combine(TestPaths.SharedModels, "bert-base-uncased-vocab");
        File.Copy(System.IO.Path.Combine(vocabDir, "vocab.txt"), System.IO.Path.Combine(dir, "vocab.txt"));
        File.Copy(System.IO.Path.Combine(vocabDir, "tokenizer_config.json"), System.IO.Path.Combine(dir, "tokenizer_config.json"));
        var file = System.IO.Path.Combine(dir, "model.onnx");
        ModelSynthesizer.Write(file, new BertArchitecture { Layers = 2, Hidden = 48, Heads = 2, Intermediate = 96, MaxPositions = 128 });
        return file;
    }
}
