using Microsoft.ML.Peft.Hub;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// Where a model saved with <see cref="BaseModelStorage.Reference"/> finds its base model again: a full local path, or
/// a Hub repository id with the commit its files were downloaded at (so a moved branch cannot change the base).
/// </summary>
internal sealed record BaseModelReference(string Location, string? Revision)
{
    /// <summary>Whether <see cref="Location"/> is a Hub repository id rather than a local path.</summary>
    public bool IsHubId => !Path.IsPathRooted(Location);

    /// <summary>The base model a user named, as <see cref="BaseModelResolver"/> resolved it to <paramref name="resolvedPath"/>.</summary>
    public static BaseModelReference For(string baseModel, string? revision, string resolvedPath)
    {
        if (File.Exists(baseModel) || Directory.Exists(baseModel))
        {
            return new BaseModelReference(Path.GetFullPath(baseModel), Revision: null);
        }

        // The resolver answered with the cache's snapshot folder, which is named after the commit.
        HubModelReference hub = HubModelReference.TryParse(baseModel, revision, out string? problem)
            ?? throw new ArgumentException($"'{baseModel}' is neither a local path nor a Hub id ({problem}).", nameof(baseModel));
        string snapshot = Path.GetFileName(Path.TrimEndingDirectorySeparator(resolvedPath));
        return new BaseModelReference(hub.RepoId, HubNames.IsCommitHash(snapshot) ? snapshot : hub.Revision);
    }

    /// <summary>The local path of the base model, resolved again (a Hub id through the cache, or a client configured from the environment).</summary>
    /// <exception cref="FileNotFoundException">A local base model is no longer there.</exception>
    public string Resolve()
    {
        if (!IsHubId)
        {
            return File.Exists(Location) || Directory.Exists(Location)
                ? Location
                : throw new FileNotFoundException(
                    $"The saved model was trained on the base model at '{Location}' and refers to it instead of holding its weights, but it is not there. " +
                    "Put the base model back at that path, or save the model with BaseModelStorage.Embedded.",
                    Location);
        }

        return BaseModelResolver.Resolve(Location, Revision);
    }

    /// <summary>The reference as a user would write it.</summary>
    public override string ToString() => Revision is null ? Location : $"{Location}@{Revision}";
}
