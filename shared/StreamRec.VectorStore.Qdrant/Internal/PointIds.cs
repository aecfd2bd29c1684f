using System.Security.Cryptography;
using System.Text;

namespace StreamRec.VectorStore.Qdrant.Internal;

/// <summary>
/// Qdrant accepts only unsigned integers and UUIDs as point ids. Name-based UUIDs (RFC 4122 version 5,
/// SHA-1) of our string ids are deterministic, so an upsert of the same id always replaces the same
/// point, from any process, without a lookup table.
/// </summary>
internal static class PointIds
{
    /// <summary>StreamRec's fixed namespace; changing it would orphan every stored point.</summary>
    public static readonly Guid StreamRecNamespace = new("5f7d3c2a-9e41-4b6f-8a0d-2c7e9b13f468");

    public static string ToPointId(string id) => NameBasedUuid(StreamRecNamespace, id).ToString("D");

    /// <summary>RFC 4122 §4.3: SHA-1 over the namespace (network byte order) then the name's UTF-8 bytes;
    /// the first 16 bytes with the version (5) and variant (10xx) bits set.</summary>
    public static Guid NameBasedUuid(Guid ns, string name)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        ns.TryWriteBytes(input, bigEndian: true, out _);
        nameBytes.CopyTo(input, 16);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // SHA-1 is what RFC 4122 version 5 prescribes; it is an id, not a security boundary.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
