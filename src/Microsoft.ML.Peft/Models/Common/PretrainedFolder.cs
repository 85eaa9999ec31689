namespace Microsoft.ML.Peft.Models.Common;

/// <summary>The layout of a Hugging Face model folder (<c>config.json</c> beside the weights).</summary>
internal static class PretrainedFolder
{
    public const string ConfigFileName = "config.json";

    /// <summary>The path of the folder's <c>config.json</c>; throws a message naming the folder when it is absent.</summary>
    public static string ConfigPath(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        if (!Directory.Exists(modelDirectory))
        {
            throw new DirectoryNotFoundException($"The model folder '{modelDirectory}' does not exist.");
        }

        string path = Path.Combine(modelDirectory, ConfigFileName);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException(
                $"The model folder '{modelDirectory}' has no {ConfigFileName}; a Hugging Face model folder holds config.json beside its weights.",
                path);
    }
}
