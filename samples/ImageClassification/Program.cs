// Image classification with the PEFT ResNet trainer in an ML.NET pipeline
// (MapValueToKey → PeftImageClassification → MapKeyToValue) over a column of image paths: train, evaluate, save, reload,
// predict, export the adapter. Default data: 200 flower photos (5 classes) from the shared data folder; your own:
// --images <folder of class sub-folders>. Default base: a small random ResNet trained from scratch at 64 × 64 pixels; a
// real one: --base-model <torchvision ResNet .safetensors, folder or Hub id>, at ImageNet's 224 × 224.
using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Peft.Models.ResNets;
using Microsoft.ML.Peft.Samples;
using Microsoft.ML.Peft.Samples.ImageClassification;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Vision;

var common = new SampleOptions("image-classification", "A torchvision ResNet checkpoint (.safetensors file or folder) or Hub id.", defaultEpochs: 30);
var images = new Option<string?>("--images") { Description = "A folder with one sub-folder of images per class (default: the shared flower_photos_small_set)." };
var imageSize = new Option<int?>("--image-size") { Description = "The side of the square crop the model sees. Default: 64 for the random base, 224 (ImageNet's) with --base-model." };
var root = new RootCommand("Image classification with Microsoft.ML.Peft (default data: 200 flower photos from the shared data folder).") { images, imageSize };
common.AddTo(root);
root.SetAction(parse =>
{
    SampleSettings settings = common.Read(parse);
    string folder = parse.GetValue(images) ?? SharedData.Require("images/flower_photos_small_set");
    Console.WriteLine($"Data: the images in the class sub-folders of {folder}, a seeded class-stratified 80/20 split.");
    (List<ImageRow> train, List<ImageRow> test) = SeededRows.StratifiedSplit(ImageFolderRows.Read(folder), testFraction: 0.2, settings.Seed);

    // A random base is trained at 64 px to stay within minutes; a pretrained one sees what it was trained on.
    int crop = parse.GetValue(imageSize) ?? (settings.RandomBase ? 64 : 224);
    var options = new PeftImageClassificationTrainer.Options
    {
        ImageColumnName = nameof(ImageRow.ImagePath),
        LabelColumnName = nameof(ImageRow.Label),
        Augmentation = new ImageAugmentationOptions
        {
            // Resize the shorter side to 8/7 of the crop, as ImageNet's 256 → 224.
            Evaluation = new ImagePreprocessingOptions { ResizeShorterSide = crop * 8 / 7, CropSize = crop },

            // torchvision's random crops go down to 8 % of the image; at 64 px that leaves too little of a flower to learn from.
            Scale = settings.RandomBase ? (0.25, 1.0) : (0.08, 1.0),
        },
    };
    TrainerSetup.Apply(options, settings, batchSize: 16);

    var mlContext = new MLContext(settings.Seed);
    ResNet? randomBase = null;
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
            randomBase = RandomResNet.Create(train.Select(r => r.Label).Distinct().Count(), settings.Seed);
            options.BaseModelInstance = randomBase;
            baseDescription = RandomResNet.Description;
        }

        Console.WriteLine($"Images: random crops of {crop} × {crop} px with flips for training; resize to {crop * 8 / 7} px and centre crop for scoring.");
        var trainer = mlContext.MulticlassClassification.Trainers.PeftImageClassification(options);
        return ClassificationSample.Run(mlContext, train, test, trainer, settings, baseDescription);
    }
    finally
    {
        randomBase?.Dispose();
    }
});
return SampleCommand.Invoke(root, args);
