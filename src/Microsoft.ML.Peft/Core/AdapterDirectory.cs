using System.Text;
using TorchSharp;

namespace Microsoft.ML.Peft;

/// <summary>The layout of a saved adapter, as Hugging Face PEFT's <c>save_pretrained</c>: one folder per adapter, the default adapter at the top.</summary>
internal static class AdapterDirectory
{
    public const string ConfigFileName = "adapter_config.json";
    public const string WeightsFileName = "adapter_model.safetensors";
    public const string DefaultAdapterName = "default";

    /// <summary>PEFT saves the adapter <c>default</c> in the folder itself and any other in a subfolder named after it.</summary>
    public static string For(string directory, string adapterName) =>
        adapterName == DefaultAdapterName ? directory : Path.Combine(directory, adapterName);

    /// <summary>
    /// Writes both files so that a failure leaves nothing half-written: each goes to a temporary file in the same
    /// folder first and is renamed over the final name only when both are complete.
    /// </summary>
    public static void Write(string directory, string configText, IReadOnlyDictionary<string, torch.Tensor> tensors, IAdapterWeightsStore store)
    {
        Directory.CreateDirectory(directory);
        string suffix = $".{Guid.NewGuid():N}.tmp";
        string configPath = Path.Combine(directory, ConfigFileName);
        string weightsPath = Path.Combine(directory, WeightsFileName);
        string configTemp = configPath + suffix;
        string weightsTemp = weightsPath + suffix;
        try
        {
            File.WriteAllText(configTemp, configText, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

            // PEFT writes the same header metadata.
            store.Save(weightsTemp, tensors, new Dictionary<string, string> { ["format"] = "pt" });
            File.Move(weightsTemp, weightsPath, overwrite: true);
            File.Move(configTemp, configPath, overwrite: true);
        }
        finally
        {
            File.Delete(configTemp);
            File.Delete(weightsTemp);
        }
    }

    /// <summary>
    /// The folder holding <paramref name="adapterName"/>'s files: the subfolder named after the adapter (where
    /// <c>save_pretrained</c> puts non-default adapters) if it holds one, else <paramref name="directory"/> itself.
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither has an <c>adapter_config.json</c>.</exception>
    public static string Resolve(string directory, string adapterName)
    {
        string subfolder = Path.Combine(directory, adapterName);
        if (adapterName != DefaultAdapterName && File.Exists(Path.Combine(subfolder, ConfigFileName)))
        {
            return subfolder;
        }

        if (File.Exists(Path.Combine(directory, ConfigFileName)))
        {
            return directory;
        }

        throw new FileNotFoundException(
            $"No {ConfigFileName} in '{directory}' or in '{subfolder}'; a PEFT adapter folder holds {ConfigFileName} and {WeightsFileName}.",
            Path.Combine(directory, ConfigFileName));
    }
}
