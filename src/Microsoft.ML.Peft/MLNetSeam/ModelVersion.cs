using Microsoft.ML;

namespace Microsoft.ML.Peft.MLNetSeam;

/// <summary>
/// The version stamp of one of our model streams inside an ML.NET model zip (our own form of ML.NET's
/// internal <c>VersionInfo</c>): an 8-character signature, the version written, the oldest reader version that can
/// read it, the oldest written version this code can read back, and the loader signature that ML.NET's component
/// catalog uses to find our loader.
/// </summary>
internal sealed record ModelVersion(
    string ModelSignature,
    uint VersionWritten,
    uint VersionReadable,
    uint VersionWeCanReadBack,
    string LoaderSignature,
    Type LoaderType)
{
    internal VersionInfo ToVersionInfo() => new(
        ModelSignature,
        VersionWritten,
        VersionReadable,
        VersionWeCanReadBack,
        loaderAssemblyName: LoaderType.Assembly.FullName,
        loaderSignature: LoaderSignature);
}
