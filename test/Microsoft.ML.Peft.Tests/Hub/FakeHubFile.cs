using System.Security.Cryptography;
using System.Text;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>A file of a fake Hub repository: stored in git (ETag = git blob SHA-1) or with LFS (served from the "CDN").</summary>
internal sealed class FakeHubFile
{
    public FakeHubFile(byte[] content, bool lfs)
    {
        Content = content;
        Lfs = lfs;
    }

    public byte[] Content { get; }

    public bool Lfs { get; }

    /// <summary>The SHA-256 announced in X-Linked-Etag; the real one unless a test makes the Hub lie.</summary>
    public string? AdvertisedSha256 { get; init; }

    /// <summary>The size announced in X-Linked-Size; the real one unless a test makes the Hub lie.</summary>
    public long? AdvertisedSize { get; init; }

    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Content));

    public string AnnouncedSha256 => AdvertisedSha256 ?? Sha256;

    public long AnnouncedSize => AdvertisedSize ?? Content.Length;

    /// <summary>git's object id of the content: SHA-1 of "blob {length}\0" + content, the Hub's ETag for non-LFS files.</summary>
    public string GitSha1 => GitBlobSha1(Content);

    /// <summary>The ETag the Hub gives the small pointer file git stores in place of an LFS file.</summary>
    public string PointerGitSha1 =>
        GitBlobSha1(Encoding.ASCII.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{Sha256}\nsize {Content.Length}\n"));

    /// <summary>The name the cache gives this file's blob.</summary>
    public string CacheEtag => Lfs ? AnnouncedSha256 : GitSha1;

    public static FakeHubFile Text(string text) => new(Encoding.UTF8.GetBytes(text), lfs: false);

    public static FakeHubFile LargeFile(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return new FakeHubFile(bytes, lfs: true);
    }

    private static string GitBlobSha1(byte[] content)
    {
        byte[] header = Encoding.ASCII.GetBytes($"blob {content.Length}\0");
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. content]));
    }
}
