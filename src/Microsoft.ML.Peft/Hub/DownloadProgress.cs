namespace Microsoft.ML.Peft.Hub;

/// <summary>How far the download of one file has got.</summary>
/// <param name="RepoId">The repository the file comes from.</param>
/// <param name="FileName">The file in the repository.</param>
/// <param name="BytesDownloaded">Bytes on disk so far, including any resumed from an earlier partial download.</param>
/// <param name="TotalBytes">The file's size when the Hub announced it, otherwise null.</param>
public readonly record struct DownloadProgress(string RepoId, string FileName, long BytesDownloaded, long? TotalBytes);
