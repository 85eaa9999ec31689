namespace Microsoft.ML.Peft.Hub;

/// <summary>
/// The Hub does not know the repository, or will not show it without credentials (private or gated repositories answer
/// the same way when no valid token is sent).
/// </summary>
public sealed class HubRepositoryNotFoundException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was asked for and how to fix it.</param>
    /// <param name="repoId">The repository id.</param>
    /// <param name="revision">The revision asked for.</param>
    /// <param name="fileName">The file asked for.</param>
    public HubRepositoryNotFoundException(string message, string repoId, string? revision, string? fileName)
        : base(message, repoId, revision, fileName)
    {
    }
}
