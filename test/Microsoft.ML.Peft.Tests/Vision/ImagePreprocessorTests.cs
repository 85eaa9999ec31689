using Microsoft.ML.Data;
using Microsoft.ML.Peft.Tests.Infrastructure;
using Microsoft.ML.Peft.Vision;
using SkiaSharp;

namespace Microsoft.ML.Peft.Tests.Vision;

public sealed class ImagePreprocessorTests
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    private static float Normalized(byte value, int channel) => ((value / 255f) - Mean[channel]) / Std[channel];

    private static float At(float[] chw, int size, int channel, int y, int x) => chw[(channel * size * size) + (y * size) + x];

    [Fact]
    public void CentreCropOfAPngIsPixelExact()
    {
        // 4 wide, 6 tall: the shorter side is already 4, so nothing is resized; the crop starts at row round(2 / 2) = 1.
        byte[] png = SyntheticImages.Png(4, 6, SyntheticImages.Distinct);
        var preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions { ResizeShorterSide = 4, CropSize = 4 });
        float[] output = preprocessor.Preprocess(png);

        Assert.Equal(3 * 4 * 4, output.Length);
        for (int y = 0; y < 4; y++)
        {
            for (int x = 0; x < 4; x++)
            {
                SKColor expected = SyntheticImages.Distinct(x, y + 1);
                Assert.Equal(Normalized(expected.Red, 0), At(output, 4, 0, y, x));
                Assert.Equal(Normalized(expected.Green, 1), At(output, 4, 1, y, x));
                Assert.Equal(Normalized(expected.Blue, 2), At(output, 4, 2, y, x));
            }
        }
    }

    [Fact]
    public void CropOffsetRoundsHalfToEvenAsTorchvision()
    {
        // 4×7: (7 - 4) / 2 = 1.5 rounds to 2. 5×4: (5 - 4) / 2 = 0.5 rounds to 0.
        var preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions { ResizeShorterSide = null, CropSize = 4 });
        float[] tall = preprocessor.Preprocess(SyntheticImages.Png(4, 7, SyntheticImages.Distinct));
        Assert.Equal(Normalized(SyntheticImages.Distinct(0, 2).Green, 1), At(tall, 4, 1, 0, 0));
        float[] wide = preprocessor.Preprocess(SyntheticImages.Png(5, 4, SyntheticImages.Distinct));
        Assert.Equal(Normalized(SyntheticImages.Distinct(0, 0).Red, 0), At(wide, 4, 0, 0, 0));
    }

    [Fact]
    public void AlphaIsDroppedNotPremultiplied()
    {
        byte[] png = SyntheticImages.Png(2, 2, (_, _) => new SKColor(200, 100, 50, 128));
        float[] output = new ImagePreprocessor(new ImagePreprocessingOptions { ResizeShorterSide = null, CropSize = 2 }).Preprocess(png);
        Assert.Equal(Normalized(200, 0), At(output, 2, 0, 1, 1));
        Assert.Equal(Normalized(100, 1), At(output, 2, 1, 1, 1));
        Assert.Equal(Normalized(50, 2), At(output, 2, 2, 1, 1));
    }

    [Fact]
    public void ShrinkingIsAntialiasedBilinearAsPil()
    {
        // Columns 0, 255, 0, 255 (4×2) to shorter side 1 → 2×1. The widened triangle filter weighs inputs 3:3:1 and
        // 1:3:3, giving 109 and 146 (plain bilinear sampling would give 128 twice). A 2×2 crop pads the missing row black.
        byte[] png = SyntheticImages.Png(4, 2, (x, _) => x % 2 == 0 ? SKColors.Black : SKColors.White);
        float[] output = new ImagePreprocessor(new ImagePreprocessingOptions { ResizeShorterSide = 1, CropSize = 2 }).Preprocess(png);
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(Normalized(109, c), At(output, 2, c, 0, 0));
            Assert.Equal(Normalized(146, c), At(output, 2, c, 0, 1));
            Assert.Equal(Normalized(0, c), At(output, 2, c, 1, 0));
        }
    }

    [Fact]
    public void ResizingKeepsAConstantColourAndTheAspectRatio()
    {
        // 30×70 to shorter side 3 → 3×int(3·70/30) = 3×7; a 9×9 crop pads it: columns 3..5 and rows 1..7 are the image.
        byte[] png = SyntheticImages.Png(30, 70, (_, _) => new SKColor(90, 160, 30));
        float[] output = new ImagePreprocessor(new ImagePreprocessingOptions { ResizeShorterSide = 3, CropSize = 9 }).Preprocess(png);
        for (int y = 0; y < 9; y++)
        {
            for (int x = 0; x < 9; x++)
            {
                bool inside = x is >= 3 and <= 5 && y is >= 1 and <= 7;
                Assert.Equal(Normalized(inside ? (byte)90 : (byte)0, 0), At(output, 9, 0, y, x));
                Assert.Equal(Normalized(inside ? (byte)160 : (byte)0, 1), At(output, 9, 1, y, x));
            }
        }
    }

    [SkippableFact]
    public void RealJpegIsNormalizedChwAt224()
    {
        string path = SharedData.Require("images/flower_photos_small_set/daisy/100080576_f52e8ee070_n.jpg");
        var preprocessor = new ImagePreprocessor();
        float[] output = preprocessor.Preprocess(path);
        Assert.Equal(3 * 224 * 224, output.Length);

        for (int c = 0; c < 3; c++)
        {
            float[] channel = output.AsSpan(c * 224 * 224, 224 * 224).ToArray();
            // Every value is (k / 255 - mean) / std for a byte k.
            Assert.All(channel, v => Assert.InRange(v, ((0 - Mean[c]) / Std[c]) - 1e-5f, ((1 - Mean[c]) / Std[c]) + 1e-5f));
            Assert.All(channel, v =>
            {
                float level = ((v * Std[c]) + Mean[c]) * 255f;
                Assert.True(Math.Abs(level - MathF.Round(level)) < 1e-3f, $"{level} is not a whole 8-bit level");
            });
            Assert.True(channel.Max() - channel.Min() > 1f, "a photo is not one flat colour");
        }

        Assert.Equal(output, preprocessor.Preprocess(File.ReadAllBytes(path)));
        using FileStream stream = File.OpenRead(path);
        Assert.Equal(output, preprocessor.Preprocess(stream));
    }

    [SkippableFact]
    public void BatchOfRealJpegsIsOneTensor()
    {
        string folder = SharedData.Require("images/flower_photos_small_set/roses");
        string[] paths = Directory.GetFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(3).ToArray();
        var preprocessor = new ImagePreprocessor();
        using TorchSharp.torch.Tensor batch = preprocessor.PreprocessBatch(paths);
        Assert.Equal(new long[] { 3, 3, 224, 224 }, batch.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, batch.dtype);
        using TorchSharp.torch.Tensor second = batch[1];
        Assert.Equal(preprocessor.Preprocess(paths[1]), second.data<float>().ToArray());
    }

    [SkippableFact]
    public void DecodesRealPhotosOfEveryClass()
    {
        // Eight photos of each of the five classes, of varied sizes; decoding dominates the time, so not all 200.
        string folder = SharedData.Require("images/flower_photos_small_set");
        string[] paths = Directory.GetDirectories(folder).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d, "*.jpg").Order(StringComparer.Ordinal).Take(8))
            .ToArray();
        Assert.Equal(40, paths.Length);
        var preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions { ResizeShorterSide = 8, CropSize = 8 });
        Assert.All(paths, path => Assert.Equal(3 * 8 * 8, preprocessor.Preprocess(path).Length));
    }

    [Fact]
    public void CorruptBytesNameTheirSource()
    {
        var preprocessor = new ImagePreprocessor();
        var error = Assert.Throws<ImageDecodeException>(() => preprocessor.Preprocess("not an image at all"u8.ToArray(), "upload #7"));
        Assert.Equal("upload #7", error.SourceName);
        Assert.Contains("upload #7", error.Message);
        Assert.Throws<ImageDecodeException>(() => preprocessor.Preprocess(Array.Empty<byte>()));
    }

    [Fact]
    public void CorruptFileNamesItsPath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"peft-corrupt-{Guid.NewGuid():N}.jpg");
        File.WriteAllBytes(path, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
        try
        {
            var error = Assert.Throws<ImageDecodeException>(() => new ImagePreprocessor().Preprocess(path));
            Assert.Equal(path, error.SourceName);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Throws<FileNotFoundException>(() => new ImagePreprocessor().Preprocess("/no/such/image.jpg"));
    }

    [SkippableFact]
    public void TruncatedJpegIsRejected()
    {
        string folder = SharedData.Require("images/flower_photos_small_set/tulips");
        byte[] jpeg = File.ReadAllBytes(Directory.GetFiles(folder, "*.jpg").Order(StringComparer.Ordinal).First());
        var error = Assert.Throws<ImageDecodeException>(() => new ImagePreprocessor().Preprocess(jpeg[..(jpeg.Length / 2)], "half a tulip"));
        Assert.Contains("half a tulip", error.Message);
    }

    [Fact]
    public void AnMLImageIsPreprocessedAsItsFile()
    {
        byte[] png = SyntheticImages.Png(5, 4, SyntheticImages.Distinct);
        var preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions { ResizeShorterSide = 3, CropSize = 3 });
        using MLImage image = MLImage.CreateFromStream(new MemoryStream(png));
        Assert.Equal(preprocessor.Preprocess(png), preprocessor.Preprocess(image));
        var error = Assert.Throws<ImageDecodeException>(() => preprocessor.Preprocess((MLImage)null!, "row 4"));
        Assert.Contains("row 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnImageOfMorePixelsThanPilAllowsIsRefusedNamingItsSource()
    {
        // A PNG whose header claims 30000 × 30000 pixels: 3.6 GB of RGBA, past one .NET array and PIL's bomb limit.
        byte[] png = SyntheticImages.Png(1, 1, SyntheticImages.Distinct);
        SyntheticImages.SetPngSize(png, 30000, 30000);
        var error = Assert.Throws<ImageDecodeException>(() => new ImagePreprocessor().Preprocess(png, "huge.png"));
        Assert.Contains("huge.png", error.Message, StringComparison.Ordinal);
        Assert.Contains("30000x30000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RawPixelLayoutsAgreeWithTheDecodedPng()
    {
        byte[] png = SyntheticImages.Png(3, 3, SyntheticImages.Distinct);
        var preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions { ResizeShorterSide = null, CropSize = 3 });
        float[] expected = preprocessor.Preprocess(png);

        var rgb = new List<byte>();
        var bgra = new List<byte>();
        for (int y = 0; y < 3; y++)
        {
            for (int x = 0; x < 3; x++)
            {
                SKColor c = SyntheticImages.Distinct(x, y);
                rgb.AddRange([c.Red, c.Green, c.Blue]);
                bgra.AddRange([c.Blue, c.Green, c.Red, 255]);
            }
        }

        Assert.Equal(expected, preprocessor.PreprocessPixels(rgb.ToArray(), 3, 3, PixelLayout.Rgb24));
        Assert.Equal(expected, preprocessor.PreprocessPixels(bgra.ToArray(), 3, 3, PixelLayout.Bgra32));
        Assert.Throws<ArgumentException>(() => preprocessor.PreprocessPixels(rgb.ToArray(), 3, 3, PixelLayout.Rgba32));
    }

    [Fact]
    public void StacksPreprocessedImagesIntoABatchTensor()
    {
        var preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions { ResizeShorterSide = null, CropSize = 2 });
        float[] a = preprocessor.Preprocess(SyntheticImages.Png(2, 2, SyntheticImages.Distinct));
        float[] b = preprocessor.Preprocess(SyntheticImages.Png(2, 2, (_, _) => SKColors.White));
        using TorchSharp.torch.Tensor batch = preprocessor.ToBatchTensor([a, b]);
        Assert.Equal(new long[] { 2, 3, 2, 2 }, batch.shape);
        Assert.Equal(a.Concat(b), batch.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => preprocessor.ToBatchTensor([new float[5]]));
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor(new ImagePreprocessingOptions { Mean = [0.5f, 0.5f] }));
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor(new ImagePreprocessingOptions { Std = [1f, 0f, 1f] }));
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor(new ImagePreprocessingOptions { CropSize = 0 }));
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor(new ImagePreprocessingOptions { ResizeShorterSide = -1 }));
    }

    [Fact]
    public void CustomMeanAndStdAreUsed()
    {
        byte[] png = SyntheticImages.Png(1, 1, (_, _) => new SKColor(51, 102, 255));
        var preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions
        {
            ResizeShorterSide = null,
            CropSize = 1,
            Mean = [0.5f, 0.5f, 0.5f],
            Std = [0.5f, 0.5f, 0.5f],
        });
        Assert.Equal(new[] { ((51 / 255f) - 0.5f) / 0.5f, ((102 / 255f) - 0.5f) / 0.5f, ((255 / 255f) - 0.5f) / 0.5f }, preprocessor.Preprocess(png));
    }
}
