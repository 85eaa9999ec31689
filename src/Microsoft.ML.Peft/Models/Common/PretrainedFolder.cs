using Microsoft.ML.Peft.Checkpoints;

namespace Microsoft.ML.Peft.Models.Common;

/// <summary>The layout of a Hugging Face model folder (<c>config.json</c> beside the weights).</summary>
internal static class PretrainedFolder
{
    public const string ConfigFileName = "config.json";

    /// <summary>
    /// Loads a model from <paramref name="path"/> (a model folder, or a weights file with <c>config.json</c> beside it):
    /// reads the config with <paramref name="readConfig"/>, lets <paramref name="configure"/> adjust it, opens the
    /// weights with <see cref="CheckpointFiles.Open"/> and hands both to <paramref name="load"/>.
    /// </summary>
    public static TModel Load<TConfig, TModel>(
        string path, Func<string, TConfig> readConfig, Action<TConfig>? configure, Func<TConfig, ITensorSource, TModel> load)
    {
        TConfig config = readConfig(ConfigPath(path));
        configure?.Invoke(config);
        using ITensorSource weights = CheckpointFiles.Open(path);
        return load(config, weights);
    }

    /// <summary>
    /// The <c>config.json</c> for <paramref name="path"/>: a model folder, or a single weights file (then the
    /// <c>config.json</c> beside it). Throws a message naming the folder or file when it is absent.
    /// </summary>
    public static string ConfigPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string folder;
        if (Directory.Exists(path))
        {
            folder = path;
        }
        else if (File.Exists(path))
        {
            folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        }
        else
        {
            throw new DirectoryNotFoundException($"The model folder or weights file '{path}' does not exist.");
        }

        string config = Path.Combine(folder, ConfigFileName);
        return File.Exists(config)
            ? config
            : throw new FileNotFoundException(
                folder == path
                    ? $"The model folder '{path}' has no {ConfigFileName}; a Hugging Face model folder holds config.json beside its weights."
                    : $"The weights file '{path}' has no {ConfigFileName} beside it; put the model's config.json in '{folder}' or pass a config.",
                config);
    }
}
