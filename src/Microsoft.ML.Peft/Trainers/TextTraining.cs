using Microsoft.ML.Data;
using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Text;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Tasks;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>What the three text trainers do in <c>Fit</c> and <c>GetOutputSchema</c>; they differ only in the label and outputs.</summary>
internal static class TextTraining
{
    /// <summary>
    /// Checks the columns, builds the network and tokenizer, tokenizes the rows (skipping rows whose label is missing,
    /// as ML.NET's trainers do), trains, and returns everything the transformer needs.
    /// </summary>
    public static (TextScoringParts Parts, TrainingResult Result) Fit(
        IHostEnvironment environment, PeftTextTrainerOptions options, IDataView data, PredictionKind kind, string trainerName)
    {
        ArgumentNullException.ThrowIfNull(data);
        DataViewSchema.Column label = LabelColumns.Require(data.Schema, options.LabelColumnName, kind);
        var inputs = new TextInputs(options.TextColumnName, options.SecondTextColumnName);
        inputs.Validate(data.Schema);
        if (options.ValidationSet is { } validationSet)
        {
            LabelColumns.RequireValidation(validationSet.Schema, label, kind);
            inputs.Validate(validationSet.Schema);
        }

        LabelClasses? classes = kind == PredictionKind.Multiclass ? LabelClasses.FromKeyColumn(label) : null;
        int numLabels = kind switch
        {
            PredictionKind.Multiclass => classes!.Count,
            PredictionKind.Binary => 2,
            _ => 1,
        };

        int seed = TrainerSettings.Seed(environment, options);
        using (manual_seed(seed))
        {
            // Seeds torch's generator, which draws the new head and the adapter's initial weights.
        }

        TrainingOptions training = TrainerSettings.Create(environment, options, seed, trainerName);
        (nn.Module network, TextTokenizer tokenizer, BaseModelReference? reference) = TextBaseModels.Create(
            options, numLabels, kind == PredictionKind.Binary ? ["False", "True"] : classes?.Names, kind == PredictionKind.Regression, training.Log ?? (_ => { }));
        TextDataSet train;
        TextDataSet? validation;
        int maxLength;
        try
        {
            maxLength = TextBaseModels.MaxLength(options.MaxSequenceLength, tokenizer, network);
            train = Tokenize(environment, data, tokenizer, options, kind, maxLength);
            validation = options.ValidationSet is null ? null : Tokenize(environment, options.ValidationSet, tokenizer, options, kind, maxLength);
            FitRows.Require(train.Count, validation?.Count, options.LabelColumnName);
        }
        catch
        {
            network.Dispose();
            throw;
        }

        PeftConfig? peft = options.Peft is null ? null : options.Peft with
        {
            TaskType = options.Peft.TaskType ?? TaskType.SeqCls,
            BaseModelNameOrPath = options.Peft.BaseModelNameOrPath ?? options.BaseModel,
        };
        ITrainingTask<TextBatch> task = kind == PredictionKind.Regression ? TrainingTasks.SequenceRegression() : TrainingTasks.SequenceClassification();
        TrainerSettings.UseCheckpointFolderOf(training, options, train.ContentFingerprint);
        (InferenceModel model, TrainingResult result) = PeftFitting.Train(
            network, peft, options.MergeAdapter, training, task, train, validation, options.BaseModelStorage == BaseModelStorage.Reference ? reference : null);
        var parts = new TextScoringParts(inputs, tokenizer, maxLength, options.InferenceBatchSize, new ScoreOutputs(kind, classes), model);
        return (parts, result);
    }

    /// <summary>The estimator's output shape: the input columns (checked) plus the score columns of <paramref name="kind"/>.</summary>
    public static SchemaShape OutputSchema(SchemaShape inputSchema, PeftTextTrainerOptions options, PredictionKind kind)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        DataViewType? labelValues = LabelColumns.Require(inputSchema, options.LabelColumnName, kind);
        LabelColumns.RequireText(inputSchema, options.TextColumnName, "Text");
        if (options.SecondTextColumnName is { } second)
        {
            LabelColumns.RequireText(inputSchema, second, "Second text");
        }

        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (SchemaShape.Column column in ScoreOutputs.Shapes(kind, labelValues))
        {
            columns[column.Name] = column;
        }

        return new SchemaShape(columns.Values);
    }

    private static TextDataSet Tokenize(IHostEnvironment environment, IDataView data, TextTokenizer tokenizer, PeftTextTrainerOptions options, PredictionKind kind, int maxLength)
    {
        // Binary labels are Boolean, which has no missing value; keys (0) and floats (NaN) do.
        IDataView rows = kind == PredictionKind.Binary ? data : MissingValueFilter.DropMissing(environment, data, options.LabelColumnName);
        return TextDataSet.FromDataView(
            rows, tokenizer, options.TextColumnName, options.LabelColumnName,
            kind == PredictionKind.Regression ? TaskKind.Regression : TaskKind.Classification,
            options.SecondTextColumnName, maxLength);
    }
}
