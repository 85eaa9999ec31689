namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>Opens checkpoint weights from the places users keep them.</summary>
public static class CheckpointFiles
{
    /// <summary>The single-file weights name in a Hugging Face model folder.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>The index name of sharded weights in a Hugging Face model folder.</summary>
    public const string ShardIndexFileName = "model.safetensors.index.json";

    private static readonly string[] PickleFileNames = ["pytorch_model.bin", "pytorch_model.bin.index.json", "model.pt", "model.pth"];

    private static readonly string[] PickleExtensions = [".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle"];

    /// <summary>
    /// Opens the weights at <paramref name="path"/>: a single <c>.safetensors</c> file, a <c>*.safetensors.index.json</c>
    /// file, or a Hugging Face folder holding <c>model.safetensors</c> (preferred) or a sharded
    /// <c>model.safetensors.index.json</c>. Tensors are read lazily. The caller disposes the result.
    /// </summary>
    /// <exception cref="FileNotFoundException"><paramref name="path"/> does not exist, the folder holds no safetensors weights, or a shard is missing.</exception>
    /// <exception cref="NotSupportedException">The weights are PyTorch pickle files (<c>pytorch_model.bin</c> and the like).</exception>
    /// <exception cref="SafeTensorsFormatException">A file breaks a rule of the safetensors format.</exception>
    public static ITensorSource Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        if (File.Exists(fullPath))
        {
            return OpenFile(fullPath);
        }

        if (Directory.Exists(fullPath))
        {
            return OpenFolder(fullPath);
        }

        throw new FileNotFoundException($"No checkpoint file or folder exists at '{fullPath}'.", fullPath);
    }

    private static ITensorSource OpenFile(string fullPath)
    {
        string name = Path.GetFileName(fullPath);
        if (name.EndsWith(".safetensors.index.json", StringComparison.OrdinalIgnoreCase))
        {
            return ShardedSafeTensors.Open(fullPath);
        }

        if (name.EndsWith(".bin.index.json", StringComparison.OrdinalIgnoreCase) ||
            PickleExtensions.Any(extension => name.EndsWith(extension, StringComparison.OrdinalIgnoreCase)))
        {
            throw PickleNotSupported(fullPath);
        }

        return SafeTensors.Open(fullPath);
    }

    private static ITensorSource OpenFolder(string folder)
    {
        string single = Path.Combine(folder, SingleFileName);
        if (File.Exists(single))
        {
            return SafeTensors.Open(single);
        }

        string index = Path.Combine(folder, ShardIndexFileName);
        if (File.Exists(index))
        {
            return ShardedSafeTensors.Open(index);
        }

        string? pickle = PickleFileNames.Select(name => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
        if (pickle is not null)
        {
            throw PickleNotSupported(pickle);
        }

        string[] others = Directory.GetFiles(folder, "*.safetensors").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        string hint = others.Length > 0
            ? $" It holds other safetensors files ({string.Join(", ", others)}); pass the path of the one you mean."
            : string.Empty;
        throw new FileNotFoundException(
            $"The folder '{folder}' holds neither '{SingleFileName}' nor '{ShardIndexFileName}'.{hint}", single);
    }

    private static NotSupportedException PickleNotSupported(string path) =>
        new($"'{path}' holds PyTorch pickle weights, which are not supported: loading pickles can run arbitrary code. " +
            "Convert the checkpoint to safetensors (for example in Python: model.save_pretrained(folder, safe_serialization=True), " +
            "or safetensors.torch.save_file(torch.load(path), 'model.safetensors')) and open that instead.");
}
