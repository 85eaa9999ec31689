using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Training.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// The base network as training received it, before any adapter: a SHA-256 of its parameters without the task head
/// (what a referenced base model must reproduce at load), and copies of the head's initial values (which may be
/// freshly drawn, so no base model reproduces them).
/// </summary>
internal sealed class BaseModelSnapshot : IDisposable
{
    private BaseModelSnapshot(string weightsSha256, Dictionary<string, Tensor> initialHead)
    {
        WeightsSha256 = weightsSha256;
        InitialHead = initialHead;
    }

    /// <summary>Lowercase hex SHA-256 over every parameter outside the head: its name, dtype, shape and bytes, in name order.</summary>
    public string WeightsSha256 { get; }

    /// <summary>The head's parameters and buffers by state-dict key (CPU copies).</summary>
    public Dictionary<string, Tensor> InitialHead { get; }

    public static BaseModelSnapshot Take(nn.Module network, string headPrefix)
    {
        var head = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (no_grad())
        {
            foreach ((string key, Tensor value) in network.state_dict())
            {
                if (key.StartsWith(headPrefix, StringComparison.Ordinal))
                {
                    head[key] = value.detach().cpu().clone().DetachFromDisposeScope();
                }
            }
        }

        return new BaseModelSnapshot(Digest(network, headPrefix), head);
    }

    /// <summary>The digest <see cref="WeightsSha256"/> describes, of <paramref name="network"/> as it is now.</summary>
    public static string Digest(nn.Module network, string headPrefix)
    {
        using var digest = new ContentFingerprint("base-model-weights");
        using var scope = NewDisposeScope();
        foreach ((string name, TorchSharp.Modules.Parameter parameter) in network.named_parameters().OrderBy(p => p.name, StringComparer.Ordinal))
        {
            if (name.StartsWith(headPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            Tensor values = parameter.detach().cpu().contiguous();
            digest.Add(name).Add(values.dtype.ToString()).Add<long>(values.shape).Add<byte>(values.bytes);
        }

        return digest.Finish();
    }

    /// <summary>Puts the head's initial values back into <paramref name="network"/> (built from the base model).</summary>
    public static void RestoreHead(nn.Module network, IReadOnlyDictionary<string, Tensor> initialHead, string headPrefix)
    {
        using var source = new InMemoryTensorSource(initialHead, "the saved model's initial task head");
        ModuleWeights.Load(network, source, new WeightLoadOptions { MayBeMissing = key => !key.StartsWith(headPrefix, StringComparison.Ordinal) });
    }

    public void Dispose()
    {
        foreach (Tensor tensor in InitialHead.Values)
        {
            tensor.Dispose();
        }

        InitialHead.Clear();
    }
}
