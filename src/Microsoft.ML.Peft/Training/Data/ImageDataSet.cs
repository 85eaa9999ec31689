using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Peft.Training.Tasks;
using Microsoft.ML.Peft.Vision;

namespace Microsoft.ML.Peft.Training.Data;

/// <summary>
/// Images (file paths or encoded bytes) with labels, decoded and preprocessed per batch on the data-loader workers:
/// random resized crop and horizontal flip for training, resize and centre crop for evaluation
/// (<see cref="ImageAugmentationOptions"/>). The random choices for a row depend only on (seed, epoch, row), so
/// batches are identical whichever worker builds them.
/// </summary>
/// <remarks>Only paths or encoded bytes are kept in memory, never decoded pixels. Instances are immutable and thread-safe.</remarks>
public sealed class ImageDataSet : ITrainingData<ImageBatch>
{
    private readonly string[]? _paths;
    private readonly byte[][]? _encoded;
    private readonly TrainingLabels _labels;
    private readonly ImageAugmentationOptions _options;
    private readonly ImagePreprocessor _evaluation;

    private ImageDataSet(string[]? paths, byte[][]? encoded, TrainingLabels labels, ImageAugmentationOptions? options)
    {
        _paths = paths;
        _encoded = encoded;
        _labels = labels;
        _options = (options ?? new ImageAugmentationOptions()).Clone();
        _options.Validate();
        _evaluation = new ImagePreprocessor(_options.Evaluation);
        int count = paths?.Length ?? encoded!.Length;
        if (count != labels.Count)
        {
            throw new ArgumentException($"There are {count} images but {labels.Count} labels.");
        }
    }

    /// <inheritdoc />
    public int Count => _labels.Count;

    /// <inheritdoc />
    /// <remarks>Images given by path are identified by their paths (not their bytes), so this stays cheap for large folders.</remarks>
    public string ContentFingerprint
    {
        get
        {
            using var fingerprint = new ContentFingerprint(_paths is null ? "images" : "image-paths").Add(_labels);
            foreach (string path in _paths ?? [])
            {
                fingerprint.Add(path);
            }

            foreach (byte[] image in _encoded ?? [])
            {
                fingerprint.Add<byte>(image);
            }

            return fingerprint.Finish();
        }
    }

    /// <inheritdoc />
    public bool HasLengths => false;

    /// <summary>Whether the labels are class indices or regression targets.</summary>
    public TaskKind Kind => _labels.Classes is null ? TaskKind.Regression : TaskKind.Classification;

    /// <summary>The number of classes (the key cardinality, or the largest label + 1); null for regression.</summary>
    public int? ClassCount => _labels.ClassCount;

    /// <summary>The side S of the [3, S, S] images produced.</summary>
    public int ImageSize => _options.Evaluation.CropSize;

    /// <summary>Image files with class labels.</summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    public static ImageDataSet ForClassification(IReadOnlyList<string> paths, IReadOnlyList<int> labels, ImageAugmentationOptions? options = null, int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return new ImageDataSet(CheckPaths(paths), null, TrainingLabels.ForClasses(labels, classCount), options);
    }

    /// <summary>Encoded images (JPEG, PNG, ...) with class labels.</summary>
    public static ImageDataSet ForClassification(IReadOnlyList<byte[]> images, IReadOnlyList<int> labels, ImageAugmentationOptions? options = null, int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return new ImageDataSet(null, CheckBytes(images), TrainingLabels.ForClasses(labels, classCount), options);
    }

    /// <summary>
    /// Streams <paramref name="data"/> once, keeping the image column (text paths, resolved against
    /// <paramref name="imageFolder"/> when relative, or the byte vectors of <c>LoadRawImageBytes</c>) and the label
    /// column (see <see cref="TextDataSet.FromDataView"/> for the label types accepted).
    /// </summary>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type.</exception>
    /// <exception cref="FileNotFoundException">An image file does not exist.</exception>
    public static ImageDataSet FromDataView(
        IDataView data, string imageColumn, string labelColumn, TaskKind kind = TaskKind.Classification, ImageAugmentationOptions? options = null, string? imageFolder = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        DataViewSchema.Column image = DataViewColumns.Find(data, imageColumn, "image");
        DataViewSchema.Column label = DataViewColumns.Find(data, labelColumn, kind == TaskKind.Classification ? "label" : "target");
        using DataViewRowCursor cursor = data.GetRowCursor([image, label]);
        bool isPath = image.Type is TextDataViewType;
        Func<long, string>? readPath = isPath ? DataViewColumns.Text(cursor, image) : null;
        Func<long, byte[]>? readBytes = isPath ? null : DataViewColumns.Bytes(cursor, image);
        int? keyCount = null;
        Func<long, int>? readClass = kind == TaskKind.Classification ? DataViewColumns.ClassIndex(cursor, label, out keyCount) : null;
        Func<long, float>? readTarget = kind == TaskKind.Regression ? DataViewColumns.Target(cursor, label) : null;

        var paths = new List<string>();
        var encoded = new List<byte[]>();
        var classes = new List<int>();
        var targets = new List<float>();
        long row = 0;
        while (cursor.MoveNext())
        {
            if (readPath is not null)
            {
                string path = readPath(row);
                paths.Add(imageFolder is null ? path : Path.Combine(imageFolder, path));
            }
            else
            {
                encoded.Add(readBytes!(row));
            }

            if (readClass is not null)
            {
                classes.Add(readClass(row));
            }
            else
            {
                targets.Add(readTarget!(row));
            }

            row++;
        }

        TrainingLabels labels = readClass is not null ? TrainingLabels.ForClasses(classes, keyCount) : TrainingLabels.ForTargets(targets);
        return isPath
            ? new ImageDataSet(CheckPaths(paths), null, labels, options)
            : new ImageDataSet(null, CheckBytes(encoded), labels, options);
    }

    /// <inheritdoc />
    public int GetLength(int index) => 1;

    /// <inheritdoc />
    public ImageBatch CreateBatch(IReadOnlyList<int> indices, BatchContext context)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int[] rows = indices.ToArray();
        int length = _evaluation.OutputLength;
        var pixels = new float[rows.Length * length];
        for (int i = 0; i < rows.Length; i++)
        {
            Span<float> output = pixels.AsSpan(i * length, length);
            int row = rows[i];
            if (context.Training && _options.Augment)
            {
                RgbImage decoded = ImageDecoder.Decode(ReadEncoded(row), SourceName(row));
                RandomResizedCrop.Apply(decoded, _options, new SeededRandom(context.SampleSeed(row)), output);
            }
            else
            {
                float[] processed = _paths is not null ? _evaluation.Preprocess(_paths[row]) : _evaluation.Preprocess(_encoded![row], SourceName(row));
                processed.CopyTo(output);
            }
        }

        (int[]? classes, float[]? targets) = _labels.Select(rows);
        return new ImageBatch(pixels, ImageSize, rows, classes, targets);
    }

    private byte[] ReadEncoded(int row) => _paths is not null ? File.ReadAllBytes(_paths[row]) : _encoded![row];

    private string SourceName(int row) => _paths is not null ? _paths[row] : $"image of row {row}";

    private static string[] CheckPaths(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        string[] copy = paths.ToArray();
        for (int i = 0; i < copy.Length; i++)
        {
            if (copy[i] is null)
            {
                throw new ArgumentException($"Image path {i} is null.", nameof(paths));
            }

            if (!File.Exists(copy[i]))
            {
                throw new FileNotFoundException($"Image file '{copy[i]}' (row {i}) does not exist.", copy[i]);
            }
        }

        return copy;
    }

    private static byte[][] CheckBytes(IReadOnlyList<byte[]> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        byte[][] copy = images.ToArray();
        int nullRow = Array.IndexOf(copy, null);
        if (nullRow >= 0)
        {
            throw new ArgumentException($"Image {nullRow} is null.", nameof(images));
        }

        return copy;
    }
}
