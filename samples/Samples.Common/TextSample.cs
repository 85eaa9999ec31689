using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Trainers;

namespace Microsoft.ML.Peft.Samples;

/// <summary>
/// The text samples (single texts and sentence pairs) from their flags to the report: the data (a file, or the sample's
/// default), the base model (<c>--base-model</c>, or a random BERT), the multiclass PEFT text trainer, and
/// <see cref="ClassificationSample.Run"/>.
/// </summary>
public static class TextSample
{
    /// <summary>Runs a text sample; returns the process exit code.</summary>
    /// <param name="settings">The common flags.</param>
    /// <param name="data">The data flags.</param>
    /// <param name="defaultData">The sample's default (train, test) rows, read when <c>--data</c> is not given.</param>
    public static int Run(SampleSettings settings, TextDataSettings data, Func<MLContext, (List<TextRow> Train, List<TextRow> Test)> defaultData)
    {
        var mlContext = new MLContext(settings.Seed);
        (List<TextRow> train, List<TextRow> test) = Rows(mlContext, data, settings.Seed, defaultData);
        train = SeededRows.Take(train, data.MaxRows, settings.Seed);

        var options = new PeftTextClassificationTrainer.Options
        {
            LabelColumnName = nameof(TextRow.Label),
            TextColumnName = nameof(TextRow.Text),
            SecondTextColumnName = data.SecondTextColumn is null ? null : nameof(TextRow.SecondText),
            MaxSequenceLength = data.MaxLength,
        };
        TrainerSetup.Apply(options, settings, batchSize: 32);

        BertForSequenceClassification? randomBase = null;
        try
        {
            string baseDescription;
            if (settings.BaseModel is { } baseModel)
            {
                options.BaseModel = baseModel;
                baseDescription = baseModel;
            }
            else
            {
                (randomBase, options.Tokenizer) = RandomBert.Create(data.MaxLength, settings.Seed);
                options.BaseModelInstance = randomBase;
                baseDescription = RandomBert.Description;
            }

            var trainer = mlContext.MulticlassClassification.Trainers.PeftTextClassification(options);
            return ClassificationSample.Run(mlContext, train, test, trainer, settings, baseDescription);
        }
        finally
        {
            randomBase?.Dispose();
        }
    }

    private static (List<TextRow> Train, List<TextRow> Test) Rows(
        MLContext mlContext, TextDataSettings data, int seed, Func<MLContext, (List<TextRow> Train, List<TextRow> Test)> defaultData)
    {
        if (data.DataPath is not { } path)
        {
            return data.TestDataPath is null
                ? defaultData(mlContext)
                : throw new ArgumentException("--test-data needs --data: the default data sets come with their own test split.");
        }

        List<TextRow> rows = data.Read(mlContext, path);
        return data.TestDataPath is { } testPath
            ? (rows, data.Read(mlContext, testPath))
            : SeededRows.StratifiedSplit(rows, testFraction: 0.2, seed);
    }
}
