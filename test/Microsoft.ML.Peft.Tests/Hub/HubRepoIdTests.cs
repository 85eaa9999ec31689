using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>Repository ids are checked as huggingface_hub's validator does: the 96-character limit is per part, not on the whole id.</summary>
public sealed class HubRepoIdTests : IDisposable
{
    private const string LongOrganization = "a-long-organization-name-of-forty-chars";

    private readonly HubTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [Theory]
    [InlineData(39, 60)]
    [InlineData(96, 96)]
    [InlineData(0, 96)]
    public void IdLongerThan96CharactersInAllIsValidWhenEachPartFits(int namespaceLength, int nameLength)
    {
        string repoId = (namespaceLength == 0 ? "" : new string('o', namespaceLength) + "/") + new string('m', nameLength);
        HubClient client = _context.Client();

        Uri url = client.GetResolveUrl(repoId, "config.json");

        Assert.EndsWith($"/{repoId}/resolve/main/config.json", url.AbsoluteUri, StringComparison.Ordinal);
        Assert.EndsWith("models--" + repoId.Replace("/", "--", StringComparison.Ordinal), client.Cache.GetRepositoryFolder(repoId), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LongValidIdIsResolvedAsAHubModel()
    {
        string repoId = LongOrganization + "/" + new string('m', 60);
        _context.Server.AddRepository(repoId).Commit(HubTestContext.ModelFiles());

        string snapshot = await BaseModelResolver.ResolveAsync(repoId, hub: _context.Client());

        Assert.True(File.Exists(Path.Combine(snapshot, "config.json")));
    }

    [Theory]
    [InlineData("org/")]
    [InlineData("")]
    public void NamePartLongerThan96CharactersIsRejected(string prefix)
    {
        string repoId = prefix + new string('m', 97);

        var error = Assert.Throws<ArgumentException>(() => _context.Client().GetResolveUrl(repoId, "config.json"));

        Assert.Contains("the name part is longer than 96 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NamespacePartLongerThan96CharactersIsRejected()
    {
        string repoId = new string('o', 97) + "/name";

        var error = Assert.Throws<ArgumentException>(() => _context.Client().GetResolveUrl(repoId, "config.json"));

        Assert.Contains("the namespace part is longer than 96 characters", error.Message, StringComparison.Ordinal);
    }
}
