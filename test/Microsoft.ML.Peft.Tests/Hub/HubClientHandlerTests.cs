using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>An injected handler must leave redirects to the client, which reads the Hub's redirect headers.</summary>
public sealed class HubClientHandlerTests : IDisposable
{
    private readonly HubTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [Fact]
    public async Task HandlerThatFollowsRedirectsItselfIsReported()
    {
        _context.Server.AddRepository(HubTestContext.RepoId).Commit(HubTestContext.ModelFiles());
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = true, UseProxy = false };
        using var client = new HubClient(new HubClientOptions
        {
            Endpoint = _context.Server.Endpoint,
            CacheDirectory = _context.CacheDirectory,
            Offline = false,
            Token = "",
            HttpMessageHandler = handler,
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetFileMetadataAsync(HubTestContext.RepoId, "model.safetensors"));

        Assert.Contains("AllowAutoRedirect = false", error.Message, StringComparison.Ordinal);
    }
}
