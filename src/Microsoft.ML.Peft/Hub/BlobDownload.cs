using System.Buffers;
using System.Net;

namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// Downloads one file's content into <c>blobs/{etag}.incomplete</c>, resuming from what is already there with
/// <c>Range: bytes=N-</c>, checks its size and (LFS) SHA-256, and only then renames it to <c>blobs/{etag}</c>.
/// </summary>
internal sealed class BlobDownload
{
    private const int MaxRedirects = 10;
    private const int MaxAttempts = 100;
    private const long ProgressStep = 1 << 20;

    private readonly HubClient _client;
    private readonly HubFileMetadata _file;
    private readonly IProgress<DownloadProgress>? _progress;
    private long _lastReported = -1;

    public BlobDownload(HubClient client, HubFileMetadata file, IProgress<DownloadProgress>? progress)
    {
        _client = client;
        _file = file;
        _progress = progress;
    }

    /// <summary>Downloads into <paramref name="incompletePath"/>, verifies, and moves the result to <paramref name="blobPath"/>.</summary>
    public async Task RunAsync(string incompletePath, string blobPath, CancellationToken cancellationToken)
    {
        using (PartialBlob partial = await PartialBlob.OpenAsync(incompletePath, _file.IsLfs, _file.Size, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await ReceiveAsync(partial, cancellationToken).ConfigureAwait(false);
            }
            catch (HubSizeMismatchException)
            {
                partial.Delete();
                throw;
            }

            await partial.FlushAsync().ConfigureAwait(false);
            if (_file.IsLfs)
            {
                string actual = partial.Sha256();
                if (!string.Equals(actual, _file.ETag, StringComparison.OrdinalIgnoreCase))
                {
                    partial.Delete();
                    throw new HubChecksumMismatchException(
                        $"The downloaded '{_file.FileName}' of '{_file.RepoId}' at revision '{_file.Revision}' (commit {_file.CommitHash}) is corrupt: " +
                        $"its SHA-256 is {actual}, but the Hub announced {_file.ETag}. The partial download was deleted; try again.",
                        _file.RepoId, _file.Revision, _file.FileName, _file.ETag, actual);
                }
            }

            Report(partial.Length, force: true);
        }

        // Only a verified file ever carries the blob's name.
        File.Move(incompletePath, blobPath, overwrite: true);
    }

    private async Task ReceiveAsync(PartialBlob partial, CancellationToken cancellationToken)
    {
        int failuresWithoutProgress = 0;
        for (int attempt = 1; ; attempt++)
        {
            if (_file.Size is long size && partial.Length == size)
            {
                return; // an earlier attempt already got every byte
            }

            long before = partial.Length;
            try
            {
                await ReceiveOnceAsync(partial, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (NetworkFailures.IsTransient(e, cancellationToken))
            {
                await partial.FlushAsync().ConfigureAwait(false);
                failuresWithoutProgress = partial.Length > before ? 0 : failuresWithoutProgress + 1;
                if (failuresWithoutProgress >= _client.Settings.MaxResumeAttempts || attempt >= MaxAttempts)
                {
                    throw new HubDownloadInterruptedException(
                        $"Downloading '{_file.FileName}' of '{_file.RepoId}' at revision '{_file.Revision}' failed after {attempt} attempt(s): {e.Message} " +
                        $"The {partial.Length} of {_file.Size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} bytes received are kept in " +
                        $"'{partial.Path}'; the next download resumes from there.",
                        _file.RepoId, _file.Revision, _file.FileName, partial.Path, partial.Length, e);
                }

                if (_client.Settings.RetryDelay > TimeSpan.Zero)
                {
                    await Task.Delay(_client.Settings.RetryDelay, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task ReceiveOnceAsync(PartialBlob partial, CancellationToken cancellationToken)
    {
        long offset = partial.Length;
        Report(offset, force: true);
        using HttpResponseMessage response = await GetFollowingRedirectsAsync(offset, cancellationToken).ConfigureAwait(false);
        switch (response.StatusCode)
        {
            case HttpStatusCode.PartialContent:
                if (response.Content.Headers.ContentRange?.From is long from && from != offset)
                {
                    partial.Restart();
                    throw new IOException($"The server answered 'Range: bytes={offset}-' with content from byte {from}; starting over.");
                }

                break;
            case HttpStatusCode.OK:
                if (offset > 0)
                {
                    partial.Restart(); // the server ignored the range and sends the whole file
                }

                break;
            case HttpStatusCode.RequestedRangeNotSatisfiable:
                partial.Restart();
                throw new IOException($"The server cannot resume from byte {offset} (HTTP 416); starting over.");
            case >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests:
                throw new IOException($"The server answered HTTP {(int)response.StatusCode} ({HubResponses.Describe(response.RequestMessage?.RequestUri)}).");
            default:
                throw HubResponses.ToException(response, _file.RepoId, _file.Revision, _file.FileName);
        }

        await CopyBodyAsync(response, partial, cancellationToken).ConfigureAwait(false);
        if (_file.Size is long expected && partial.Length != expected)
        {
            throw SizeMismatch(expected, partial.Length);
        }
    }

    private async Task<HttpResponseMessage> GetFollowingRedirectsAsync(long offset, CancellationToken cancellationToken)
    {
        Uri url = _file.Location;
        for (int hop = 0; ; hop++)
        {
            HttpResponseMessage response = await _client.SendAsync(HttpMethod.Get, url, offset, cancellationToken).ConfigureAwait(false);
            if ((int)response.StatusCode is < 300 or >= 400 || HubResponses.Header(response, "Location") is not { } location)
            {
                return response;
            }

            response.Dispose();
            if (hop >= MaxRedirects)
            {
                throw new HubRequestException(
                    $"Downloading '{_file.FileName}' of '{_file.RepoId}' was redirected more than {MaxRedirects} times (last: {HubResponses.Describe(url)}).",
                    response.StatusCode, _file.RepoId, _file.Revision, _file.FileName);
            }

            url = new Uri(url, location);
        }
    }

    private async Task CopyBodyAsync(HttpResponseMessage response, PartialBlob partial, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                while (true)
                {
                    // A stalled connection counts as broken: the timer restarts with every read.
                    readTimeout.CancelAfter(_client.Settings.RequestTimeout);
                    int read = await body.ReadAsync(buffer, readTimeout.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return;
                    }

                    if (_file.Size is long expected && partial.Length + read > expected)
                    {
                        throw SizeMismatch(expected, partial.Length + read);
                    }

                    await partial.AppendAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    Report(partial.Length, force: false);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private HubSizeMismatchException SizeMismatch(long expected, long actual) =>
        new($"The downloaded '{_file.FileName}' of '{_file.RepoId}' at revision '{_file.Revision}' (commit {_file.CommitHash}) has " +
            $"{(actual > expected ? "at least " : "")}{actual} bytes, but the Hub announced {expected}. The partial download was deleted; try again.",
            _file.RepoId, _file.Revision, _file.FileName, expected, actual);

    private void Report(long bytes, bool force)
    {
        if (_progress is null || (!force && bytes - _lastReported < ProgressStep) || bytes == _lastReported)
        {
            return;
        }

        _lastReported = bytes;
        _progress.Report(new DownloadProgress(_file.RepoId, _file.FileName, bytes, _file.Size));
    }
}
