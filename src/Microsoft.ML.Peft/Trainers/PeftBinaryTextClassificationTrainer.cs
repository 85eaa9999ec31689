using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// Fine-tunes a BERT or RoBERTa model as a binary text classifier with a parameter-efficient adapter (LoRA by default), in an
/// ML.NET pipeline. The label column must be Boolean. Rows with a missing label are skipped.
/// <c>Fit</c> trains with the library's training engine and returns a <see cref="PeftBinaryTextClassificationTransformer"/> with the adapter
/// merged into the weights (unless <see cref="PeftTrainerOptions.MergeAdapter"/> is false).
/// </summary>
public sealed class PeftBinaryTextClassificationTrainer : IEstimator<PeftBinaryTextClassificationTransformer>
{
    private readonly IHostEnvironment _environment;
    private readonly Options _options;

    internal PeftBinaryTextClassificationTrainer(IHostEnvironment environment, Options options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _environment = environment;
        _options = options;
    }

    /// <summary>Trains the model on <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it and the expected type).</exception>
    public PeftBinaryTextClassificationTransformer Fit(IDataView input)
    {
        (TextScoringParts parts, Training.TrainingResult result) = TextTraining.Fit(_environment, _options, input, PredictionKind.Binary, nameof(PeftBinaryTextClassificationTrainer));
        return new PeftBinaryTextClassificationTransformer(_environment, parts, result);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it and the expected type).</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => TextTraining.OutputSchema(inputSchema, _options, PredictionKind.Binary);

    /// <summary>The settings of <see cref="PeftBinaryTextClassificationTrainer"/>.</summary>
    public sealed class Options : PeftTextTrainerOptions
    {
        internal void Validate() => ValidateText();
    }
}
