using Microsoft.ML.Data;
using Microsoft.ML.Peft.Vision;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Peft.Trainers;

/// <summary>One row's image: a file path or encoded bytes, with the row's position for error messages.</summary>
internal readonly record struct ImageInput(string? Path, byte[]? Bytes, long Row);

/// <summary>
/// Reads an image column: text holding a file path (resolved against a folder when relative), a byte vector holding
/// an encoded image (as <c>LoadRawImageBytes</c> makes), or an ML.NET image (as <c>LoadImages</c> makes; passed on as
/// lossless PNG bytes).
/// </summary>
internal sealed class ImageInputs : IScoringInputs<ImageInput>
{
    public ImageInputs(string imageColumnName, string? imageFolder)
    {
        ImageColumnName = imageColumnName;
        ImageFolder = imageFolder;
    }

    public string ImageColumnName { get; }

    /// <summary>The folder relative paths are resolved against, or null.</summary>
    public string? ImageFolder { get; }

    public IReadOnlyList<string> ColumnNames => [ImageColumnName];

    public void Validate(DataViewSchema schema)
    {
        DataViewSchema.Column column = schema.GetColumnOrNull(ImageColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Image column '{ImageColumnName}' is not in the data (columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}).");
        if (!IsImageType(column.Type))
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Image column '{ImageColumnName}' must be text (an image path), a vector of Byte (encoded image bytes, as LoadRawImageBytes makes) or an image (MLImage, as LoadImages makes) but is {column.Type}.");
        }
    }

    public static bool IsImageType(DataViewType type) =>
        type is TextDataViewType or ImageDataViewType || (type is VectorDataViewType vector && vector.ItemType.RawType == typeof(byte));

    public Func<ImageInput> CreateReader(DataViewRow row)
    {
        DataViewSchema.Column column = row.Schema[ImageColumnName];
        if (column.Type is TextDataViewType)
        {
            ValueGetter<ReadOnlyMemory<char>> getPath = row.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> path = default;
            return () =>
            {
                getPath(ref path);
                string text = path.ToString();
                return new ImageInput(ImageFolder is null || text.Length == 0 ? text : System.IO.Path.Combine(ImageFolder, text), null, row.Position);
            };
        }

        if (column.Type is ImageDataViewType)
        {
            ValueGetter<MLImage> getImage = row.GetGetter<MLImage>(column);
            MLImage image = null!;
            return () =>
            {
                getImage(ref image);
                return new ImageInput(null, MLImageEncoding.ToPng(image, $"the image of row {row.Position}"), row.Position);
            };
        }

        ValueGetter<VBuffer<byte>> getBytes = row.GetGetter<VBuffer<byte>>(column);
        VBuffer<byte> bytes = default;
        return () =>
        {
            getBytes(ref bytes);
            return new ImageInput(null, bytes.DenseValues().ToArray(), row.Position);
        };
    }
}
