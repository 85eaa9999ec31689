namespace Microsoft.ML.Peft.Samples.ImageClassification;

/// <summary>Lists the images of a folder of class sub-folders (the sub-folder's name is the label), as image classification data sets are often laid out.</summary>
internal static class ImageFolderRows
{
    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    public static List<ImageRow> Read(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The image folder '{folder}' does not exist.");
        }

        List<ImageRow> rows = Directory.EnumerateDirectories(folder)
            .Order(StringComparer.Ordinal)
            .SelectMany(classFolder => Directory.EnumerateFiles(classFolder)
                .Where(file => Extensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .Select(file => new ImageRow { ImagePath = Path.GetFullPath(file), Label = Path.GetFileName(classFolder) }))
            .ToList();
        int classes = rows.Select(r => r.Label).Distinct(StringComparer.Ordinal).Count();
        if (classes < 2)
        {
            throw new InvalidDataException(
                $"'{folder}' holds images of {classes} class(es): expected one sub-folder per class, each with image files ({string.Join(", ", Extensions)}).");
        }

        return rows;
    }
}
