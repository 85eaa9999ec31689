using System.CommandLine;

namespace Microsoft.ML.Peft.Samples;

/// <summary>The flags every task sample takes: base model, method, epochs, learning rate, seed, output folder, verbosity.</summary>
public sealed class SampleOptions
{
    /// <summary>Creates the flags with the sample's defaults.</summary>
    /// <param name="sampleName">Names the default output folder.</param>
    /// <param name="baseModelDescription">What <c>--base-model</c> accepts for this task.</param>
    /// <param name="defaultEpochs">Epochs when <c>--epochs</c> is not given.</param>
    public SampleOptions(string sampleName, string baseModelDescription, int defaultEpochs)
    {
        BaseModel = new Option<string?>("--base-model")
        {
            Description = baseModelDescription + " Default: a randomly initialised model trained from scratch (no pretrained checkpoint is needed, so the run is offline).",
        };
        Method = new Option<string?>("--method")
        {
            Description = "lora (LoRA r=8), head (head only), full (every weight), ia3 or houlsby (bottleneck adapters). Default: lora with --base-model, full without.",
        };
        Method.AcceptOnlyFromAmong(FineTuningChoice.Names);
        Epochs = new Option<int>("--epochs") { Description = "Passes over the training rows.", DefaultValueFactory = _ => defaultEpochs };
        LearningRate = new Option<double?>("--learning-rate")
        {
            Description = "The peak learning rate. Default: 1e-3 when training a random base fully, otherwise the library's default for the method.",
        };
        Seed = new Option<int>("--seed") { Description = "Seed of the random base, the data split and training.", DefaultValueFactory = _ => 1 };
        Output = new Option<string>("--output")
        {
            Description = "Folder for the saved pipeline (model.zip) and the exported adapter.",
            DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "peft-samples", sampleName),
        };
        Verbose = new Option<bool>("--verbose") { Description = "Print the training engine's log (device, per-epoch metrics as they come)." };
    }

    /// <summary><c>--base-model</c>.</summary>
    public Option<string?> BaseModel { get; }

    /// <summary><c>--method</c>.</summary>
    public Option<string?> Method { get; }

    /// <summary><c>--epochs</c>.</summary>
    public Option<int> Epochs { get; }

    /// <summary><c>--learning-rate</c>.</summary>
    public Option<double?> LearningRate { get; }

    /// <summary><c>--seed</c>.</summary>
    public Option<int> Seed { get; }

    /// <summary><c>--output</c>.</summary>
    public Option<string> Output { get; }

    /// <summary><c>--verbose</c>.</summary>
    public Option<bool> Verbose { get; }

    /// <summary>Adds every flag to <paramref name="command"/>.</summary>
    public void AddTo(System.CommandLine.Command command)
    {
        foreach (Option option in new Option[] { BaseModel, Method, Epochs, LearningRate, Seed, Output, Verbose })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The flags' values.</summary>
    public SampleSettings Read(ParseResult parse) => new(
        parse.GetValue(BaseModel),
        parse.GetValue(Method),
        parse.GetValue(Epochs),
        parse.GetValue(LearningRate),
        parse.GetValue(Seed),
        parse.GetValue(Output)!,
        parse.GetValue(Verbose));
}
