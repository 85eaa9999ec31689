using Microsoft.ML.Peft.Checkpoints;

namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// Brings one model (config, safetensors weights or shards, tokenizer files) into a cache snapshot, or finds it there.
/// Every file comes from the one commit the first request resolves the revision to, and <c>refs/{revision}</c> moves
/// to that commit only once the snapshot holds the whole model.
/// </summary>
internal sealed class HubModelDownload
{
    private readonly HubClient _client;
    private readonly HubModelReference _model;
    private readonly IReadOnlyList<string> _optionalFiles;
    private readonly IProgress<DownloadProgress>? _progress;

    public HubModelDownload(HubClient client, HubModelReference model, IReadOnlyList<string> optionalFiles, IProgress<DownloadProgress>? progress)
    {
        _client = client;
        _model = model;
        _optionalFiles = optionalFiles;
        _progress = progress;
    }

    private string RepoId => _model.RepoId;

    private string Revision => _model.EffectiveRevision;

    private HubCache Cache => _client.Cache;

    public async Task<string> ResolveAsync(CancellationToken cancellationToken)
    {
        string? cachedCommit = Cache.TryResolveCommit(RepoId, Revision);
        ModelSnapshotState cached = StateOf(cachedCommit);
        bool pinned = HubNames.IsCommitHash(Revision);
        if (cached == ModelSnapshotState.Complete && (pinned || !_client.CheckForUpdates || _client.Offline))
        {
            return Cache.GetSnapshotFolder(RepoId, cachedCommit!);
        }

        if (_client.Offline)
        {
            return cached == ModelSnapshotState.Usable
                ? Cache.GetSnapshotFolder(RepoId, cachedCommit!)
                : throw new HubOfflineException(
                    $"The Hugging Face Hub model '{RepoId}' at revision '{Revision}' is not in the cache '{Cache.Root}'" +
                    $"{(cachedCommit is null ? "" : $" (its snapshot {cachedCommit} lacks the config or weights)")}, and offline mode is on " +
                    "(HF_HUB_OFFLINE or HubClientOptions.Offline), so it cannot be downloaded. Download it once while online, or turn offline mode off.",
                    HubOfflineReason.OfflineModeEnabled, RepoId, Revision, fileName: null);
        }

        try
        {
            return await DownloadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HubException e) when (CacheFallback.Allows(e))
        {
            if (cached != ModelSnapshotState.Unusable)
            {
                return Cache.GetSnapshotFolder(RepoId, cachedCommit!);
            }

            if (e is HubOfflineException)
            {
                throw new HubOfflineException(
                    $"Cannot reach the Hugging Face Hub at {_client.Endpoint} to download the model '{RepoId}' at revision '{Revision}': the machine " +
                    $"appears to be offline ({e.InnerException?.Message ?? e.Message}). The model is not in the cache '{Cache.Root}' either. " +
                    "Check the connection (and HF_ENDPOINT or the proxy), or download the model once while online.",
                    HubOfflineReason.NetworkUnreachable, RepoId, Revision, e.FileName, e.InnerException ?? e);
            }

            throw;
        }
    }

    private ModelSnapshotState StateOf(string? commit) =>
        commit is null ? ModelSnapshotState.Unusable : ModelSnapshotFiles.Inspect(Cache, RepoId, commit, _optionalFiles);

    private async Task<string> DownloadAsync(CancellationToken cancellationToken)
    {
        CachedHubFile config = await RequiredAsync(ModelSnapshotFiles.ConfigFileName, Revision, "every model folder needs its config.json", cancellationToken)
            .ConfigureAwait(false);
        string commit = config.CommitHash;

        CachedHubFile? single = await OptionalAsync(CheckpointFiles.SingleFileName, commit, cancellationToken).ConfigureAwait(false);
        if (single is null)
        {
            CachedHubFile index = await OptionalAsync(CheckpointFiles.ShardIndexFileName, commit, cancellationToken).ConfigureAwait(false)
                ?? throw new HubEntryNotFoundException(
                    $"The Hugging Face Hub model '{RepoId}' at revision '{Revision}' (commit {commit}) has neither '{CheckpointFiles.SingleFileName}' " +
                    $"nor '{CheckpointFiles.ShardIndexFileName}'. Only safetensors weights are supported; if the repository holds pytorch_model.bin, " +
                    "convert it (in Python: model.save_pretrained(folder, safe_serialization=True)) or pick a revision with safetensors weights.",
                    RepoId, Revision, CheckpointFiles.SingleFileName, commit);
            foreach (string shard in ModelSnapshotFiles.ShardFileNames(index.Path))
            {
                await RequiredAsync(shard, commit, $"'{CheckpointFiles.ShardIndexFileName}' maps tensors to it", cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (string name in _optionalFiles)
        {
            await OptionalAsync(name, commit, cancellationToken).ConfigureAwait(false);
        }

        Cache.WriteRef(RepoId, Revision, commit);
        return Cache.GetSnapshotFolder(RepoId, commit);
    }

    private async Task<CachedHubFile> RequiredAsync(string fileName, string revision, string why, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.DownloadCoreAsync(RepoId, fileName, revision, recordRevision: false, _progress, cancellationToken).ConfigureAwait(false);
        }
        catch (HubEntryNotFoundException e)
        {
            string commit = e.CommitHash is { } hash && hash != Revision ? $" (commit {hash})" : "";
            throw new HubEntryNotFoundException(
                $"The Hugging Face Hub model '{RepoId}' has no '{fileName}' at revision '{Revision}'{commit}, and it is required: {why}.",
                RepoId, Revision, fileName, e.CommitHash);
        }
    }

    private async Task<CachedHubFile?> OptionalAsync(string fileName, string revision, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.DownloadCoreAsync(RepoId, fileName, revision, recordRevision: false, _progress, cancellationToken).ConfigureAwait(false);
        }
        catch (HubEntryNotFoundException)
        {
            return null;
        }
    }
}
