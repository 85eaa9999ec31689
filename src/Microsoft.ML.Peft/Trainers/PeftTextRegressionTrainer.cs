using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// Fine-tunes a BERT or RoBERTa model as a text regressor with a parameter-efficient adapter (LoRA by default), in an
/// ML.NET pipeline. The label column must be Single (float); the model gets one output, trained with mean squared error. Rows with a missing label are skipped.
/// <c>Fit</c> trains with the library's training engine and returns a <see cref="PeftTextRegressionTransformer"/> with the adapter
/// merged into the weights (unless <see cref="PeftTrainerOptions.MergeAdapter"/> is false).
/// </summary>
public sealed class PeftTextRegressionTrainer : IEstimator<PeftTextRegressionTransformer>
{
    private readonly IHostEnvironment _environment;
    private readonly Options _options;

    internal PeftTextRegressionTrainer(IHostEnvironment environment, Options options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _environment = environment;
        _options = options;
    }

    /// <summary>Trains the model on <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it and the expected type).</exception>
    public PeftTextRegressionTransformer Fit(IDataView input)
    {
        (TextScoringParts parts, Training.TrainingResult result) = TextTraining.Fit(_environment, _options, input, PredictionKind.Regression, nameof(PeftTextRegressionTrainer));
        return new PeftTextRegressionTransformer(_environment, parts, result);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it and the expected type).</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => TextTraining.OutputSchema(inputSchema, _options, PredictionKind.Regression);

    /// <summary>The settings of <see cref="PeftTextRegressionTrainer"/>.</summary>
    public sealed class Options : PeftTextTrainerOptions
    {
        internal void Validate() => ValidateText();
    }
}
