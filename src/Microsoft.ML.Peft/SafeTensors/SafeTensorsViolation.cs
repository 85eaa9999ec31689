namespace Microsoft.ML.Peft.Checkpoints;

/// <summary>The rule of the safetensors format that a file (or a sharded checkpoint's index) breaks.</summary>
public enum SafeTensorsViolation
{
    /// <summary>The file is shorter than the 8-byte header length prefix.</summary>
    FileTooShort,

    /// <summary>The header length prefix exceeds <see cref="SafeTensors.MaxHeaderLength"/>.</summary>
    HeaderTooLarge,

    /// <summary>The header length prefix claims more bytes than the file holds after the prefix.</summary>
    HeaderLongerThanFile,

    /// <summary>The header bytes are not valid UTF-8.</summary>
    HeaderNotUtf8,

    /// <summary>The header does not start with <c>{</c>, so it cannot be a JSON object.</summary>
    HeaderNotJsonObject,

    /// <summary>The header is not well-formed JSON (syntax error, comment, trailing content).</summary>
    InvalidJson,

    /// <summary>A JSON object in the header names the same key twice.</summary>
    DuplicateKey,

    /// <summary><c>__metadata__</c> is not an object whose values are all strings.</summary>
    InvalidMetadata,

    /// <summary>A tensor entry is not a JSON object. (Fields other than <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> are ignored, as by the reference reader.)</summary>
    InvalidTensorEntry,

    /// <summary>A tensor entry lacks <c>dtype</c>, <c>shape</c> or <c>data_offsets</c>.</summary>
    MissingField,

    /// <summary>A tensor field has the wrong JSON type (for example a string shape, a fractional dimension, three offsets).</summary>
    InvalidFieldType,

    /// <summary>A tensor's dtype is not a safetensors dtype at all.</summary>
    UnknownDType,

    /// <summary>A tensor's dtype is defined by safetensors but has no TorchSharp element type (for example U16 or F8_E4M3).</summary>
    UnsupportedDType,

    /// <summary>A tensor's shape holds a negative dimension.</summary>
    NegativeDimension,

    /// <summary>A tensor's element count or byte size overflows a 64-bit integer.</summary>
    ShapeOverflow,

    /// <summary>A tensor's <c>data_offsets</c> are negative or begin after they end.</summary>
    InvalidOffsets,

    /// <summary>A tensor's <c>data_offsets</c> reach past the end of the data region.</summary>
    OffsetsOutOfBounds,

    /// <summary>A tensor's byte range differs from its shape's element count times its dtype's element size.</summary>
    ByteSizeMismatch,

    /// <summary>Two tensors' byte ranges overlap.</summary>
    OverlappingTensors,

    /// <summary>Some bytes of the data region, before or between tensors, belong to no tensor.</summary>
    DataGap,

    /// <summary>The file holds bytes after the end of the last tensor.</summary>
    TrailingBytes,

    /// <summary>A BOOL tensor holds a byte other than 0 or 1.</summary>
    InvalidBoolValue,

    /// <summary>A sharded checkpoint's <c>model.safetensors.index.json</c> is malformed.</summary>
    InvalidIndex,

    /// <summary>A sharded checkpoint's index names a tensor that its shard does not hold.</summary>
    IndexShardMismatch,
}
