using Microsoft.ML.Peft.MLNetSeam;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// The PEFT trainers in ML.NET's catalogs: <c>mlContext.MulticlassClassification.Trainers.PeftTextClassification(...)</c>,
/// <c>mlContext.BinaryClassification.Trainers.PeftTextClassification(...)</c>, <c>mlContext.Regression.Trainers.PeftTextRegression(...)</c>
/// and <c>mlContext.MulticlassClassification.Trainers.PeftImageClassification(...)</c>.
/// </summary>
/// <example>
/// <code>
/// var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label", "Sentiment")
///     .Append(mlContext.MulticlassClassification.Trainers.PeftTextClassification("google-bert/bert-base-uncased", textColumnName: "Review"))
///     .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedSentiment", "PredictedLabel"));
/// var model = pipeline.Fit(train);
/// var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test));
/// </code>
/// </example>
public static class PeftTrainersCatalog
{
    /// <summary>Fine-tunes a BERT or RoBERTa model as a multiclass text classifier with a PEFT adapter (LoRA r = 8 by default).</summary>
    public static PeftTextClassificationTrainer PeftTextClassification(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, PeftTextClassificationTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PeftTextClassificationTrainer(CatalogEnvironment.Of(catalog), options);
    }

    /// <summary>Fine-tunes <paramref name="baseModel"/> as a multiclass text classifier with the default settings (LoRA r = 8, 3 epochs).</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="baseModel">A Hugging Face model folder, a <c>.safetensors</c> file with <c>config.json</c> beside it, or a Hub id.</param>
    /// <param name="labelColumnName">The label column, a key type.</param>
    /// <param name="textColumnName">The text column.</param>
    /// <param name="secondTextColumnName">The second text of sentence pairs, or null.</param>
    public static PeftTextClassificationTrainer PeftTextClassification(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string baseModel,
        string labelColumnName = "Label",
        string textColumnName = "Text",
        string? secondTextColumnName = null) =>
        catalog.PeftTextClassification(new PeftTextClassificationTrainer.Options
        {
            BaseModel = baseModel,
            LabelColumnName = labelColumnName,
            TextColumnName = textColumnName,
            SecondTextColumnName = secondTextColumnName,
        });

    /// <summary>Fine-tunes a BERT or RoBERTa model as a binary text classifier (Boolean label) with a PEFT adapter (LoRA r = 8 by default).</summary>
    public static PeftBinaryTextClassificationTrainer PeftTextClassification(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, PeftBinaryTextClassificationTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PeftBinaryTextClassificationTrainer(CatalogEnvironment.Of(catalog), options);
    }

    /// <summary>Fine-tunes <paramref name="baseModel"/> as a binary text classifier with the default settings (LoRA r = 8, 3 epochs).</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="baseModel">A Hugging Face model folder, a <c>.safetensors</c> file with <c>config.json</c> beside it, or a Hub id.</param>
    /// <param name="labelColumnName">The label column, Boolean.</param>
    /// <param name="textColumnName">The text column.</param>
    /// <param name="secondTextColumnName">The second text of sentence pairs, or null.</param>
    public static PeftBinaryTextClassificationTrainer PeftTextClassification(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string baseModel,
        string labelColumnName = "Label",
        string textColumnName = "Text",
        string? secondTextColumnName = null) =>
        catalog.PeftTextClassification(new PeftBinaryTextClassificationTrainer.Options
        {
            BaseModel = baseModel,
            LabelColumnName = labelColumnName,
            TextColumnName = textColumnName,
            SecondTextColumnName = secondTextColumnName,
        });

    /// <summary>Fine-tunes a BERT or RoBERTa model as a text regressor (Single label) with a PEFT adapter (LoRA r = 8 by default).</summary>
    public static PeftTextRegressionTrainer PeftTextRegression(this RegressionCatalog.RegressionTrainers catalog, PeftTextRegressionTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PeftTextRegressionTrainer(CatalogEnvironment.Of(catalog), options);
    }

    /// <summary>Fine-tunes <paramref name="baseModel"/> as a text regressor with the default settings (LoRA r = 8, 3 epochs).</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="baseModel">A Hugging Face model folder, a <c>.safetensors</c> file with <c>config.json</c> beside it, or a Hub id.</param>
    /// <param name="labelColumnName">The label column, Single.</param>
    /// <param name="textColumnName">The text column.</param>
    /// <param name="secondTextColumnName">The second text of sentence pairs, or null.</param>
    public static PeftTextRegressionTrainer PeftTextRegression(
        this RegressionCatalog.RegressionTrainers catalog,
        string baseModel,
        string labelColumnName = "Label",
        string textColumnName = "Text",
        string? secondTextColumnName = null) =>
        catalog.PeftTextRegression(new PeftTextRegressionTrainer.Options
        {
            BaseModel = baseModel,
            LabelColumnName = labelColumnName,
            TextColumnName = textColumnName,
            SecondTextColumnName = secondTextColumnName,
        });

    /// <summary>Fine-tunes a ResNet as a multiclass image classifier with a PEFT adapter (LoRA r = 8 on its 3×3 convolutions by default).</summary>
    public static PeftImageClassificationTrainer PeftImageClassification(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, PeftImageClassificationTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PeftImageClassificationTrainer(CatalogEnvironment.Of(catalog), options);
    }

    /// <summary>Fine-tunes the ResNet <paramref name="baseModel"/> as a multiclass image classifier with the default settings (LoRA r = 8, 3 epochs, ImageNet preprocessing).</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="baseModel">A <c>.safetensors</c> file or folder with torchvision ResNet weights, or a Hub id.</param>
    /// <param name="labelColumnName">The label column, a key type.</param>
    /// <param name="imageColumnName">The image column: paths (text) or encoded bytes.</param>
    /// <param name="imageFolder">The folder relative paths are resolved against, or null.</param>
    public static PeftImageClassificationTrainer PeftImageClassification(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string baseModel,
        string labelColumnName = "Label",
        string imageColumnName = "Image",
        string? imageFolder = null) =>
        catalog.PeftImageClassification(new PeftImageClassificationTrainer.Options
        {
            BaseModel = baseModel,
            LabelColumnName = labelColumnName,
            ImageColumnName = imageColumnName,
            ImageFolder = imageFolder,
        });
}
