using System.Text.Json.Nodes;
using Microsoft.ML.Peft.Tuners;
using TorchSharp;

namespace Microsoft.ML.Peft;

/// <summary>
/// The settings every adapter has, as Hugging Face PEFT's <c>PeftConfig</c>: which method, which task, which base model.
/// Each method derives its own configuration (for example <see cref="Tuners.Lora.LoraConfig"/>).
/// </summary>
public abstract record PeftConfig
{
    /// <summary>The fine-tuning method (<c>peft_type</c>).</summary>
    public abstract PeftType PeftType { get; }

    /// <summary>The task the adapter is trained for (<c>task_type</c>), or <c>null</c> when none applies (image models).</summary>
    public TaskType? TaskType { get; init; }

    /// <summary>The base model the adapter belongs to (<c>base_model_name_or_path</c>), a Hugging Face id or a path.</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary>The revision of the base model (<c>revision</c>).</summary>
    public string? Revision { get; init; }

    /// <summary>
    /// When true the adapter is frozen (<c>inference_mode</c>). Saved adapters always record <c>true</c>, as PEFT does;
    /// <see cref="PeftModel.FromPretrained{TModel}(TModel, string, string, bool)"/> with <c>isTrainable</c> clears it.
    /// </summary>
    public bool InferenceMode { get; init; }

    /// <summary>Builds the tuner that injects this kind of adapter into <paramref name="model"/>.</summary>
    internal abstract TunerModel CreateTunerModel(torch.nn.Module model);

    /// <summary>Writes the fields PEFT's <c>PeftConfig</c> declares; derived configs add theirs.</summary>
    internal virtual void WriteJson(JsonObject json)
    {
        json["auto_mapping"] = null;
        json["base_model_name_or_path"] = BaseModelNameOrPath;
        json["inference_mode"] = InferenceMode;
        json["peft_type"] = PeftType.ToJson();
        json["revision"] = Revision;
        json["task_type"] = TaskType?.ToJson();
    }

    /// <summary>Reads <c>task_type</c>, accepting PEFT's names.</summary>
    internal static TaskType? ReadTaskType(ConfigJsonReader reader)
    {
        string? name = reader.GetString("task_type");
        if (name is null)
        {
            return null;
        }

        return EnumJsonNames.TryParseTaskType(name, out TaskType type)
            ? type
            : throw new InvalidDataException(
                $"{reader.Source}: unknown task_type '{name}'; expected one of {string.Join(", ", EnumJsonNames.TaskTypeNames)}.");
    }
}
