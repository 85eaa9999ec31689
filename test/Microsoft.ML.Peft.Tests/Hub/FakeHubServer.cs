using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>
/// A minimal Hugging Face Hub on 127.0.0.1 (ephemeral ports), speaking the protocol <c>huggingface_hub</c> relies on:
/// HEAD/GET <c>/{repo}/resolve/{revision}/{file}</c> with <c>X-Repo-Commit</c> and a quoted git-SHA-1 <c>ETag</c>;
/// LFS files answer 302 to a second listener (the "CDN", another port, so another host for the client) with
/// <c>X-Linked-Etag</c> (SHA-256) and <c>X-Linked-Size</c>; 404s carry <c>X-Error-Code</c>; renamed repositories
/// answer a relative 307; GETs honour <c>Range: bytes=N-</c>. One request per connection (<c>Connection: close</c>).
/// Faults on demand: drop a connection mid-body, ignore Range. Stops when disposed.
/// </summary>
internal sealed class FakeHubServer : IDisposable
{
    private const int MaxHeadBytes = 32 * 1024;

    private readonly TcpListener _hub = new(IPAddress.Loopback, 0);
    private readonly TcpListener _cdn = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, FakeHubRepository> _repositories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _renamed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeHubFile> _cdnBlobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _dropsAfterBytes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private readonly Task _hubLoop;
    private readonly Task _cdnLoop;

    public FakeHubServer()
    {
        _hub.Start();
        _cdn.Start();
        _hubLoop = AcceptLoopAsync(_hub, toCdn: false);
        _cdnLoop = AcceptLoopAsync(_cdn, toCdn: true);
    }

    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_hub.LocalEndpoint).Port}";

    private string CdnEndpoint => $"http://127.0.0.1:{((IPEndPoint)_cdn.LocalEndpoint).Port}";

    /// <summary>When set, GETs ignore Range and always answer 200 with the whole file.</summary>
    public bool IgnoreRange { get; set; }

    /// <summary>When set, the Hub (not the CDN) answers every request with 503, as during an outage.</summary>
    public bool ServiceUnavailable { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    public int RequestCount => _requests.Count;

    public FakeHubRepository AddRepository(string repoId) => _repositories.GetOrAdd(repoId, id => new FakeHubRepository(id));

    /// <summary>Requests for <paramref name="oldRepoId"/> answer a relative redirect to <paramref name="newRepoId"/>, as the Hub does after a rename.</summary>
    public void Rename(string oldRepoId, string newRepoId) => _renamed[oldRepoId] = newRepoId;

    /// <summary>The next GET body of <paramref name="fileName"/> stops after <paramref name="afterBytes"/> bytes and the connection closes.</summary>
    public void DropConnectionOnce(string fileName, int afterBytes) => _dropsAfterBytes[fileName] = afterBytes;

    public void Dispose()
    {
        _stop.Cancel();
        _hub.Stop();
        _cdn.Stop();
        // Bounded: a hung connection must not hang the test run.
        Task.WhenAll([_hubLoop, _cdnLoop, .. _connections.Keys]).Wait(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(TcpListener listener, bool toCdn)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Task connection = ServeAsync(client, toCdn);
            _connections[connection] = true;
            _ = connection.ContinueWith(done => _connections.TryRemove(done, out _), TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(TcpClient client, bool toCdn)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                RecordedRequest? request = await ReadRequestAsync(stream, toCdn);
                if (request is null)
                {
                    return;
                }

                _requests.Enqueue(request);
                FakeResponse response = toCdn ? HandleCdn(request) : HandleHub(request);
                await WriteAsync(client, stream, request, response);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away; nothing to answer.
            }
        }
    }

    private async Task<RecordedRequest?> ReadRequestAsync(NetworkStream stream, bool toCdn)
    {
        var head = new List<byte>();
        byte[] one = new byte[1];
        while (head.Count < MaxHeadBytes)
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
            {
                return null;
            }

            head.Add(one[0]);
            if (head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n')
            {
                break;
            }
        }

        string[] lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        string[] requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }

        return new RecordedRequest(toCdn, requestLine[0], requestLine[1], headers);
    }

    private FakeResponse HandleHub(RecordedRequest request)
    {
        if (ServiceUnavailable)
        {
            return FakeResponse.Status(503, "Service Unavailable");
        }

        string path = request.Target.Split('?')[0];
        int resolve = path.IndexOf("/resolve/", StringComparison.Ordinal);
        if (resolve < 0)
        {
            return FakeResponse.Status(404, "Not Found");
        }

        string repoId = path[1..resolve];
        string rest = path[(resolve + "/resolve/".Length)..];
        if (_renamed.TryGetValue(repoId, out string? newId))
        {
            return FakeResponse.Status(307, "Temporary Redirect").With("Location", $"/{newId}/resolve/{rest}");
        }

        if (!_repositories.TryGetValue(repoId, out FakeHubRepository? repository))
        {
            return FakeResponse.Status(401, "Unauthorized").With("X-Error-Code", "RepoNotFound").With("X-Error-Message", "Repository not found");
        }

        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string revision = Uri.UnescapeDataString(rest[..slash]);
        string fileName = string.Join('/', rest[(slash + 1)..].Split('/').Select(Uri.UnescapeDataString));
        string? commit = repository.ResolveRevision(revision);
        if (commit is null)
        {
            return FakeResponse.Status(404, "Not Found").With("X-Error-Code", "RevisionNotFound").With("X-Error-Message", "Invalid rev id: " + revision);
        }

        FakeHubFile? file = repository.File(commit, fileName);
        if (file is null)
        {
            return FakeResponse.Status(404, "Not Found").With("X-Error-Code", "EntryNotFound").With("X-Error-Message", "Entry not found")
                .With("X-Repo-Commit", commit);
        }

        if (file.Lfs)
        {
            _cdnBlobs[file.AnnouncedSha256] = file;
            return FakeResponse.Status(302, "Found")
                .With("Location", $"{CdnEndpoint}/repos/{file.AnnouncedSha256}/{Uri.EscapeDataString(fileName)}?X-Amz-Signature=fake")
                .With("X-Repo-Commit", commit)
                .With("ETag", $"\"{file.PointerGitSha1}\"")
                .With("X-Linked-Etag", $"\"{file.AnnouncedSha256}\"")
                .With("X-Linked-Size", file.AnnouncedSize.ToString(CultureInfo.InvariantCulture));
        }

        return Content(request, file.Content, fileName).With("X-Repo-Commit", commit).With("ETag", $"\"{file.GitSha1}\"");
    }

    private FakeResponse HandleCdn(RecordedRequest request)
    {
        string[] parts = request.Target.Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || parts[0] != "repos" || !_cdnBlobs.TryGetValue(parts[1], out FakeHubFile? file))
        {
            return FakeResponse.Status(403, "Forbidden");
        }

        return Content(request, file.Content, Uri.UnescapeDataString(parts[2])).With("ETag", $"\"{file.Sha256}\"");
    }

    private FakeResponse Content(RecordedRequest request, byte[] content, string fileName)
    {
        int? dropAfter = request.Method == "GET" && _dropsAfterBytes.TryRemove(fileName, out int bytes) ? bytes : null;
        if (request.Range is { } range && !IgnoreRange && range.StartsWith("bytes=", StringComparison.Ordinal))
        {
            string[] bounds = range["bytes=".Length..].Split('-');
            long start = long.Parse(bounds[0], CultureInfo.InvariantCulture);
            if (start >= content.Length)
            {
                return FakeResponse.Status(416, "Range Not Satisfiable").With("Content-Range", $"bytes */{content.Length}");
            }

            long end = bounds[1].Length > 0 ? Math.Min(long.Parse(bounds[1], CultureInfo.InvariantCulture), content.Length - 1) : content.Length - 1;
            return new FakeResponse(206, "Partial Content", content[(int)start..(int)(end + 1)], dropAfter)
                .With("Content-Range", $"bytes {start}-{end}/{content.Length}").With("Accept-Ranges", "bytes");
        }

        return new FakeResponse(200, "OK", content, dropAfter).With("Accept-Ranges", "bytes");
    }

    private static async Task WriteAsync(TcpClient client, NetworkStream stream, RecordedRequest request, FakeResponse response)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.Code} {response.Reason}\r\n");
        foreach ((string name, string value) in response.Headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {response.Body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        if (request.Method == "HEAD")
        {
            return;
        }

        if (response.DropAfterBytes is int dropAfter && dropAfter < response.Body.Length)
        {
            await stream.WriteAsync(response.Body.AsMemory(0, dropAfter));
            await stream.FlushAsync();
            // Closing before the announced Content-Length: the client sees the connection drop mid-body. A FIN (not a
            // reset) keeps the bytes already sent from being discarded, so how much arrived does not depend on timing.
            client.Client.Shutdown(SocketShutdown.Send);
            return;
        }

        await stream.WriteAsync(response.Body);
    }

    private sealed class FakeResponse(int code, string reason, byte[] body, int? dropAfterBytes = null)
    {
        public int Code { get; } = code;

        public string Reason { get; } = reason;

        public byte[] Body { get; } = body;

        public int? DropAfterBytes { get; } = dropAfterBytes;

        public List<(string Name, string Value)> Headers { get; } = [];

        public static FakeResponse Status(int code, string reason) => new(code, reason, []);

        public FakeResponse With(string name, string value)
        {
            Headers.Add((name, value));
            return this;
        }
    }
}
