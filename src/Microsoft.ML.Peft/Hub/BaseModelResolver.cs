namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// Turns what a user names as a base model — a local folder, a local <c>.safetensors</c> file, or a Hugging Face Hub id
/// (<c>org/name</c>, optionally <c>org/name@revision</c>) — into a local path that <c>CheckpointFiles.Open</c> and the
/// models' <c>FromPretrained(path)</c> accept. An existing local path always wins. A Hub id is served from the
/// <c>huggingface_hub</c> cache when it is there, and otherwise downloaded into it: <c>config.json</c>,
/// <c>model.safetensors</c> (or <c>model.safetensors.index.json</c> and its shards), and the tokenizer files the
/// repository has.
/// </summary>
public static class BaseModelResolver
{
    /// <summary>The tokenizer files downloaded when the repository has them; absent ones are skipped.</summary>
    public static IReadOnlyList<string> TokenizerFileNames { get; } =
        ["tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "merges.txt", "special_tokens_map.json"];

    /// <inheritdoc cref="ResolveAsync"/>
    public static string Resolve(
        string modelIdOrPath, string? revision = null, HubClient? hub = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ResolveAsync(modelIdOrPath, revision, hub, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Returns the full path of <paramref name="modelIdOrPath"/> when it is an existing file or folder; otherwise the
    /// cache snapshot folder (<c>.../models--{org}--{name}/snapshots/{commit}</c>) of the Hub model it names,
    /// downloading what is missing. A cached snapshot with config and weights serves when the Hub cannot be asked or
    /// refuses the request (as for a gated model without a token), as <c>huggingface_hub</c> does.
    /// </summary>
    /// <param name="modelIdOrPath">A local folder or file, or a Hub id such as <c>google-bert/bert-base-uncased</c> or <c>org/name@v1.0</c>.</param>
    /// <param name="revision">The branch, tag or commit hash of a Hub id (default <c>main</c>); not allowed with a local path.</param>
    /// <param name="hub">The client to download with; null: a client configured from the environment (<c>HF_ENDPOINT</c>, <c>HF_HUB_CACHE</c>, <c>HF_TOKEN</c> or the <c>hf auth login</c> token file, <c>HF_HUB_OFFLINE</c>; see <see cref="HubClientOptions"/>).</param>
    /// <param name="progress">Receives each file's download progress.</param>
    /// <param name="cancellationToken">Cancels the downloads; a partial file is kept and resumed next time.</param>
    /// <exception cref="DirectoryNotFoundException">The text is neither an existing path nor a Hub id.</exception>
    /// <exception cref="HubEntryNotFoundException">The repository lacks <c>config.json</c> or safetensors weights at that revision (the message names repository, revision and file).</exception>
    /// <exception cref="HubOfflineException">The model is not cached and offline mode is on, or the machine appears to be offline.</exception>
    /// <exception cref="HubRepositoryNotFoundException">The Hub has no such repository, or it needs a token, and no usable snapshot is cached.</exception>
    /// <exception cref="HubRequestException">The Hub refused the request otherwise (gated, an error status, a response that is not the Hub's), and no usable snapshot is cached.</exception>
    /// <exception cref="HubChecksumMismatchException">A downloaded file does not match its SHA-256.</exception>
    public static async Task<string> ResolveAsync(
        string modelIdOrPath, string? revision = null, HubClient? hub = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelIdOrPath);
        if (File.Exists(modelIdOrPath) || Directory.Exists(modelIdOrPath))
        {
            return revision is null
                ? Path.GetFullPath(modelIdOrPath)
                : throw new ArgumentException(
                    $"'{modelIdOrPath}' is a local path, so a revision ('{revision}') does not apply; revisions select versions of Hub models.", nameof(revision));
        }

        HubModelReference model = HubModelReference.TryParse(modelIdOrPath, revision, out string? problem)
            ?? throw new DirectoryNotFoundException(
                $"'{modelIdOrPath}' is neither an existing file or folder (looked for '{Path.GetFullPath(modelIdOrPath)}') nor a Hugging Face Hub model id " +
                $"({problem}). Pass a model folder, a .safetensors file, or an id such as 'google-bert/bert-base-uncased' or 'org/name@revision'.");

        HubClient client = hub ?? new HubClient();
        try
        {
            return await new HubModelDownload(client, model, TokenizerFileNames, progress).ResolveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HubRepositoryNotFoundException e)
        {
            throw new HubRepositoryNotFoundException(
                $"{e.Message} Nor is '{modelIdOrPath}' an existing local file or folder (looked for '{Path.GetFullPath(modelIdOrPath)}').",
                e.RepoId, e.Revision, e.FileName);
        }
        finally
        {
            if (hub is null)
            {
                client.Dispose();
            }
        }
    }
}
