using TorchSharp;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>
/// A sharded Hugging Face checkpoint: a <c>model.safetensors.index.json</c> whose <c>weight_map</c> names the shard file
/// holding each tensor. Every shard must exist when the checkpoint is opened; each shard is opened (and checked to hold
/// every tensor the index assigns to it) the first time one of its tensors is asked about.
/// Tensors a shard holds but the index does not list are not part of the checkpoint and are ignored.
/// </summary>
public sealed class ShardedSafeTensors : ITensorSource
{
    private readonly Dictionary<string, string> _shardOf;
    private readonly Dictionary<string, List<string>> _keysOfShard;
    private readonly Dictionary<string, SafeTensorsFile> _openShards = new(StringComparer.Ordinal);
    private readonly IReadOnlyCollection<string> _keys;
    private readonly object _lock = new();
    private bool _disposed;

    private ShardedSafeTensors(string indexPath, SafeTensorsIndex index)
    {
        IndexPath = indexPath;
        string folder = Path.GetDirectoryName(indexPath)!;
        _shardOf = new Dictionary<string, string>(StringComparer.Ordinal);
        _keysOfShard = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var shardPaths = new List<string>();
        foreach ((string key, string shardName) in index.WeightMap)
        {
            string shardPath = Path.Combine(folder, shardName);
            _shardOf[key] = shardPath;
            if (!_keysOfShard.TryGetValue(shardPath, out List<string>? keys))
            {
                _keysOfShard[shardPath] = keys = [];
                shardPaths.Add(shardPath);
            }

            keys.Add(key);
        }

        _keys = Array.AsReadOnly(index.WeightMap.Select(entry => entry.Key).ToArray());
        ShardPaths = shardPaths.AsReadOnly();
    }

    /// <summary>The full path of the index file.</summary>
    public string IndexPath { get; }

    /// <inheritdoc />
    public string Description => IndexPath;

    /// <summary>The full paths of the shard files, in the order the index first names them.</summary>
    public IReadOnlyList<string> ShardPaths { get; }

    /// <summary>The tensor names, in index order.</summary>
    public IReadOnlyCollection<string> Keys => _keys;

    /// <summary>
    /// Opens the sharded checkpoint described by <paramref name="indexPath"/> (a <c>*.safetensors.index.json</c> file).
    /// </summary>
    /// <exception cref="FileNotFoundException">The index, or a shard it names, does not exist.</exception>
    /// <exception cref="SafeTensorsFormatException">The index is malformed.</exception>
    public static ShardedSafeTensors Open(string indexPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(indexPath);
        string fullPath = Path.GetFullPath(indexPath);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"The safetensors index '{fullPath}' does not exist.", fullPath);
        }

        var checkpoint = new ShardedSafeTensors(fullPath, SafeTensorsIndex.Read(fullPath));
        List<string> missing = checkpoint.ShardPaths.Where(path => !File.Exists(path)).ToList();
        if (missing.Count > 0)
        {
            string list = string.Join("; ", missing.Select(path =>
                $"'{Path.GetFileName(path)}' (holding {checkpoint._keysOfShard[path].Count} tensors, e.g. '{checkpoint._keysOfShard[path][0]}')"));
            throw new FileNotFoundException(
                $"The sharded checkpoint '{fullPath}' names shard files that do not exist in its folder: {list}.", missing[0]);
        }

        return checkpoint;
    }

    /// <inheritdoc />
    public bool Contains(string key) => _shardOf.ContainsKey(key);

    /// <summary>The full path of the shard that holds <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The index lists no such tensor.</exception>
    public string GetShardPath(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _shardOf.TryGetValue(key, out string? shard)
            ? shard
            : throw new KeyNotFoundException($"Tensor '{key}' is not in {IndexPath}.");
    }

    /// <summary>What the shard's header says about the tensor <paramref name="key"/> (opening the shard if needed).</summary>
    public SafeTensorInfo GetInfo(string key) => ShardHolding(key).GetInfo(key);

    /// <inheritdoc />
    public torch.ScalarType GetDType(string key) => GetInfo(key).ScalarType;

    /// <inheritdoc />
    public long[] GetShape(string key) => GetInfo(key).GetShapeArray();

    /// <inheritdoc />
    public torch.Tensor Read(string key, torch.ScalarType? dtype = null) => ShardHolding(key).Read(key, dtype);

    /// <summary>Opens every shard now, so that every problem with them surfaces at once rather than on first use.</summary>
    /// <exception cref="SafeTensorsFormatException">A shard is malformed or lacks a tensor the index assigns to it.</exception>
    public void ValidateAllShards()
    {
        foreach (string shard in ShardPaths)
        {
            OpenShard(shard);
        }
    }

    /// <summary>Unmaps every shard opened so far.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (SafeTensorsFile shard in _openShards.Values)
            {
                shard.Dispose();
            }

            _openShards.Clear();
        }
    }

    private SafeTensorsFile ShardHolding(string key) => OpenShard(GetShardPath(key));

    private SafeTensorsFile OpenShard(string shardPath)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_openShards.TryGetValue(shardPath, out SafeTensorsFile? open))
            {
                return open;
            }

            SafeTensorsFile shard = SafeTensors.Open(shardPath);
            List<string> absent = _keysOfShard[shardPath].Where(key => !shard.Contains(key)).ToList();
            if (absent.Count > 0)
            {
                shard.Dispose();
                string shown = string.Join(", ", absent.Take(10).Select(key => $"'{key}'")) + (absent.Count > 10 ? $" and {absent.Count - 10} more" : "");
                throw new SafeTensorsFormatException(IndexPath, SafeTensorsViolation.IndexShardMismatch,
                    $"the index assigns {absent.Count} tensors to shard '{Path.GetFileName(shardPath)}' that it does not hold: {shown}.");
            }

            _openShards[shardPath] = shard;
            return shard;
        }
    }
}
