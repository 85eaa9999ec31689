using TorchSharp;

namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>What a safetensors header says about one tensor: its dtype, shape and where its bytes lie.</summary>
public sealed class SafeTensorInfo
{
    private readonly long[] _shape;

    internal SafeTensorInfo(string name, string dtypeName, torch.ScalarType scalarType, int elementSize, long[] shape,
        long elementCount, long dataBegin, long dataEnd, long dataRegionStart)
    {
        Name = name;
        DTypeName = dtypeName;
        ScalarType = scalarType;
        ElementSize = elementSize;
        _shape = shape;
        Shape = Array.AsReadOnly(shape);
        ElementCount = elementCount;
        DataBegin = dataBegin;
        DataEnd = dataEnd;
        FileOffset = dataRegionStart + dataBegin;
    }

    /// <summary>The tensor's name (its key in the header).</summary>
    public string Name { get; }

    /// <summary>The dtype as the file spells it, for example <c>F32</c> or <c>BF16</c>.</summary>
    public string DTypeName { get; }

    /// <summary>The TorchSharp element type that <see cref="DTypeName"/> maps to.</summary>
    public torch.ScalarType ScalarType { get; }

    /// <summary>The size of one element in bytes.</summary>
    public int ElementSize { get; }

    /// <summary>The tensor's shape; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The number of elements (the product of <see cref="Shape"/>; 1 for a scalar, 0 when a dimension is 0).</summary>
    public long ElementCount { get; }

    /// <summary>The first byte of the tensor, relative to the start of the data region (the header's <c>data_offsets[0]</c>).</summary>
    public long DataBegin { get; }

    /// <summary>One past the last byte of the tensor, relative to the start of the data region (<c>data_offsets[1]</c>).</summary>
    public long DataEnd { get; }

    /// <summary>The tensor's length in bytes.</summary>
    public long ByteLength => DataEnd - DataBegin;

    /// <summary>The absolute position of the tensor's first byte in the file.</summary>
    public long FileOffset { get; }

    /// <summary>A copy of <see cref="Shape"/> as an array.</summary>
    public long[] GetShapeArray() => (long[])_shape.Clone();

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: {DTypeName} [{string.Join(", ", _shape)}] bytes {DataBegin}..{DataEnd}";
}
