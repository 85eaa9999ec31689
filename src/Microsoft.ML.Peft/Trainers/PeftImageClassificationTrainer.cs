using Microsoft.ML.Data;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Hub;
using Microsoft.ML.Peft.MLNetSeam;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Tasks;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>
/// Fine-tunes a ResNet as a multiclass image classifier with a parameter-efficient adapter (LoRA on the residual 3×3
/// convolutions by default, the new head trained fully), in an ML.NET pipeline. The image column holds file paths (text),
/// encoded image bytes (a vector of Byte, as <c>LoadRawImageBytes</c> makes) or ML.NET images (<c>MLImage</c>, as
/// <c>LoadImages</c> makes; handed on losslessly as PNG); the label column must be a key. Training
/// images get random resized crops and flips (<see cref="Options.Augmentation"/>); prediction uses the evaluation
/// preprocessing, which is saved with the model.
/// </summary>
public sealed class PeftImageClassificationTrainer : IEstimator<PeftImageClassificationTransformer>
{
    private readonly IHostEnvironment _environment;
    private readonly Options _options;

    internal PeftImageClassificationTrainer(IHostEnvironment environment, Options options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _environment = environment;
        _options = options;
    }

    /// <summary>Trains the model on <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it and the expected type).</exception>
    public PeftImageClassificationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        DataViewSchema.Column label = LabelColumns.Require(input.Schema, _options.LabelColumnName, PredictionKind.Multiclass);
        var inputs = new ImageInputs(_options.ImageColumnName, _options.ImageFolder);
        inputs.Validate(input.Schema);
        if (_options.ValidationSet is { } validationSet)
        {
            LabelColumns.RequireValidation(validationSet.Schema, label, PredictionKind.Multiclass);
            inputs.Validate(validationSet.Schema);
        }

        LabelClasses classes = LabelClasses.FromKeyColumn(label);
        int seed = TrainerSettings.Seed(_environment, _options);
        using (manual_seed(seed))
        {
            // Seeds torch's generator, which draws the new head and the adapter's initial weights.
        }

        ImageDataSet train = Images(input);
        ImageDataSet? validation = _options.ValidationSet is null ? null : Images(_options.ValidationSet);
        FitRows.Require(train.Count, validation?.Count, _options.LabelColumnName);

        (ResNet network, BaseModelReference? reference) = CreateNetwork(classes.Count);
        PeftConfig? peft = _options.Peft is null ? null : _options.Peft with { BaseModelNameOrPath = _options.Peft.BaseModelNameOrPath ?? _options.BaseModel };
        TrainingOptions training = TrainerSettings.Create(_environment, _options, seed, nameof(PeftImageClassificationTrainer));
        TrainerSettings.UseCheckpointFolderOf(training, _options, train.ContentFingerprint);
        (InferenceModel model, TrainingResult result) = PeftFitting.Train(
            network, peft, _options.MergeAdapter, training, TrainingTasks.ImageClassification(), train, validation,
            _options.BaseModelStorage == BaseModelStorage.Reference ? reference : null);
        var parts = new ImageScoringParts(inputs, _options.Augmentation.Evaluation.Clone(), _options.InferenceBatchSize, new ScoreOutputs(PredictionKind.Multiclass, classes), model);
        return new PeftImageClassificationTransformer(_environment, parts, result);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it and the expected type).</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        DataViewType? labelValues = LabelColumns.Require(inputSchema, _options.LabelColumnName, PredictionKind.Multiclass);
        SchemaShape.Column image = inputSchema.LastOrDefault(c => c.Name == _options.ImageColumnName);
        if (image.Name is null)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Image column '{_options.ImageColumnName}' is not in the data (columns: {string.Join(", ", inputSchema.Select(c => c.Name))}).");
        }

        bool isPath = image.Kind == SchemaShape.Column.VectorKind.Scalar && image.ItemType is TextDataViewType;
        bool isBytes = image.Kind != SchemaShape.Column.VectorKind.Scalar && image.ItemType.RawType == typeof(byte);
        bool isImage = image.Kind == SchemaShape.Column.VectorKind.Scalar && image.ItemType is ImageDataViewType;
        if (!isPath && !isBytes && !isImage)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Image column '{_options.ImageColumnName}' must be text (an image path), a vector of Byte (encoded image bytes) or an image (MLImage, as LoadImages makes) but is {image.Kind} of {image.ItemType}.");
        }

        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (SchemaShape.Column column in ScoreOutputs.Shapes(PredictionKind.Multiclass, labelValues))
        {
            columns[column.Name] = column;
        }

        return new SchemaShape(columns.Values);
    }

    private ImageDataSet Images(IDataView data) => ImageDataSet.FromDataView(
        MissingValueFilter.DropMissing(_environment, data, _options.LabelColumnName),
        _options.ImageColumnName,
        _options.LabelColumnName,
        TaskKind.Classification,
        _options.Augmentation,
        _options.ImageFolder);

    /// <summary>
    /// The ResNet to fine-tune, with a head of <paramref name="classes"/> outputs (fresh unless the base already has that
    /// many), and where the base model came from (null for a <see cref="Options.BaseModelInstance"/>).
    /// </summary>
    private (ResNet Network, BaseModelReference? Reference) CreateNetwork(int classes)
    {
        ResNet network;
        BaseModelReference? reference = null;
        if (_options.BaseModelInstance is { } template)
        {
            network = new ResNet(template.Config);
            try
            {
                using var source = new InMemoryTensorSource(template.state_dict(), "the BaseModelInstance");
                ModuleWeights.Load(network, source);
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
        else
        {
            string path = BaseModelResolver.Resolve(_options.BaseModel!, _options.BaseModelRevision, _options.Hub);
            network = ResNet.FromPretrained(path);
            reference = BaseModelReference.For(_options.BaseModel!, _options.BaseModelRevision, path);
        }

        if (network.Config.NumClasses != classes)
        {
            network.ReplaceHead(classes);
        }

        return (network, reference);
    }

    /// <summary>The settings of <see cref="PeftImageClassificationTrainer"/>.</summary>
    public sealed class Options : PeftTrainerOptions
    {
        /// <summary>The image column: text paths, encoded image bytes or MLImage. Default <c>"Image"</c>.</summary>
        public string ImageColumnName { get; set; } = "Image";

        /// <summary>The folder relative image paths are resolved against, in training and at prediction (it is saved with the model); null leaves paths as they are.</summary>
        public string? ImageFolder { get; set; }

        /// <summary>
        /// The base model: a <c>.safetensors</c> file or Hugging Face folder with torchvision ResNet weights, or a Hub id
        /// (see <see cref="BaseModelResolver"/>); the architecture is read from the weights. Ignored when <see cref="BaseModelInstance"/> is set.
        /// </summary>
        public string? BaseModel { get; set; }

        /// <summary>The branch, tag or commit of a Hub <see cref="BaseModel"/>; null for <c>main</c>.</summary>
        public string? BaseModelRevision { get; set; }

        /// <summary>The Hub client for a Hub <see cref="BaseModel"/>; null configures one from the environment.</summary>
        public HubClient? Hub { get; set; }

        /// <summary>A ResNet in memory used as a template: every <c>Fit</c> trains a copy and leaves it untouched.</summary>
        public ResNet? BaseModelInstance { get; set; }

        /// <summary>
        /// The training augmentation (random resized crop, horizontal flip) and, in <see cref="ImageAugmentationOptions.Evaluation"/>,
        /// the preprocessing used for validation and prediction (default ImageNet's: resize 256, centre crop 224, ImageNet mean and std).
        /// </summary>
        public ImageAugmentationOptions Augmentation { get; set; } = new();

        internal void Validate()
        {
            ValidateCommon(BaseModelInstance is not null);
            ArgumentException.ThrowIfNullOrEmpty(ImageColumnName, nameof(ImageColumnName));
            ArgumentNullException.ThrowIfNull(Augmentation, nameof(Augmentation));
            if (BaseModelInstance is null && string.IsNullOrWhiteSpace(BaseModel))
            {
                throw new ArgumentException("Set BaseModel (a ResNet .safetensors file, folder or Hub id) or BaseModelInstance.", nameof(BaseModel));
            }
        }
    }
}
