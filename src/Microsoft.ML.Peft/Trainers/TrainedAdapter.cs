using Microsoft.ML.Peft.MLNetSeam;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// A trained adapter kept apart from the model it was merged into: its <c>adapter_config.json</c> text and its tensors
/// under Hugging Face PEFT's keys (CPU copies), so it can be exported in PEFT's format whether or not the model keeps it
/// unmerged, also after the model was saved and loaded.
/// </summary>
internal sealed class TrainedAdapter : IDisposable
{
    private const string ConfigEntry = "AdapterConfig.json";
    private const string WeightsEntry = "Adapter.safetensors";

    private readonly Dictionary<string, Tensor> _tensors;

    private TrainedAdapter(string configJson, Dictionary<string, Tensor> tensors)
    {
        ConfigJson = configJson;
        _tensors = tensors;
    }

    /// <summary>The adapter's <c>adapter_config.json</c> (with <c>inference_mode</c> true, as PEFT saves it).</summary>
    public string ConfigJson { get; }

    /// <summary>The adapter's tensors by PEFT key.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>Copies the active adapter of <paramref name="peft"/> (its resolved configuration and its tensors).</summary>
    public static TrainedAdapter Capture(PeftModel peft)
    {
        string config = PeftConfigJson.Write(peft.ActivePeftConfig with { InferenceMode = true });
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (no_grad())
        {
            foreach ((string key, Tensor value) in peft.GetAdapterStateDict())
            {
                tensors[key] = value.detach().cpu().clone().DetachFromDisposeScope();
            }
        }

        return new TrainedAdapter(config, tensors);
    }

    /// <summary>Writes <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> into <paramref name="directory"/> (created if missing).</summary>
    public void Export(string directory) => AdapterDirectory.Write(directory, ConfigJson, _tensors, AdapterWeightsFile.Default);

    /// <summary>Writes the adapter as two binary entries of a model zip.</summary>
    public void Save(ModelWriter writer)
    {
        writer.WriteBinaryStream(ConfigEntry, w => w.Write(ConfigJson));
        TensorStreams.Write(writer, WeightsEntry, _tensors);
    }

    /// <summary>Reads an adapter written by <see cref="Save"/>.</summary>
    public static TrainedAdapter Load(ModelReader reader)
    {
        string? config = null;
        if (!reader.TryReadBinaryStream(ConfigEntry, r => config = r.ReadString()))
        {
            throw new InvalidDataException($"The saved model has no '{ConfigEntry}' entry.");
        }

        return new TrainedAdapter(config!, TensorStreams.ReadAll(reader, WeightsEntry));
    }

    public void Dispose()
    {
        foreach (Tensor tensor in _tensors.Values)
        {
            tensor.Dispose();
        }

        _tensors.Clear();
    }
}
