namespace Microsoft.ML.Peft.Hub;

/// <summary>A model on the Hub: a repository id and an optional revision, from <c>org/name</c> or <c>org/name@revision</c>.</summary>
internal sealed record HubModelReference(string RepoId, string? Revision)
{
    /// <summary>The revision to ask for: the one given, else <c>main</c>.</summary>
    public string EffectiveRevision => Revision ?? HubNames.DefaultRevision;

    /// <summary>
    /// Parses <paramref name="text"/> (<c>org/name</c>, <c>name</c>, optionally <c>@revision</c>). A separate
    /// <paramref name="revision"/> is allowed when the text has none or the same one. Returns null with a reason when
    /// the text is not a Hub id.
    /// </summary>
    public static HubModelReference? TryParse(string text, string? revision, out string? problem)
    {
        string repoId = text;
        string? inlineRevision = null;
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            repoId = text[..at];
            inlineRevision = text[(at + 1)..];
        }

        problem = HubNames.RepoIdProblem(repoId);
        if (problem is not null)
        {
            return null;
        }

        if (inlineRevision is not null && revision is not null && inlineRevision != revision)
        {
            throw new ArgumentException(
                $"'{text}' names revision '{inlineRevision}' and the revision argument is '{revision}'; give the revision once.", nameof(revision));
        }

        string? chosen = inlineRevision ?? revision;
        if (chosen is not null && HubNames.RevisionProblem(chosen) is { } revisionProblem)
        {
            throw new ArgumentException($"The revision '{chosen}' of '{repoId}' is not usable: {revisionProblem}.", nameof(revision));
        }

        return new HubModelReference(repoId, chosen);
    }
}
