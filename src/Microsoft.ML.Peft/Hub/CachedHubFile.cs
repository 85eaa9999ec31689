namespace Microsoft.ML.Peft.Hub;

/// <summary>A file in a cache snapshot, and the commit whose snapshot it is in.</summary>
internal sealed record CachedHubFile(string Path, string CommitHash);
