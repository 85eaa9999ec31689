using Microsoft.ML;
using Microsoft.ML.Peft.MLNetSeam.Loaders;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(
    typeof(PeftBinaryTextClassificationTransformer),
    typeof(PeftBinaryTextClassificationTransformerLoader),
    null,
    typeof(SignatureLoadModel),
    "PEFT binary text classifier",
    PeftBinaryTextClassificationTransformer.LoaderSignature)]

namespace Microsoft.ML.Peft.MLNetSeam.Loaders;

/// <summary>The loader ML.NET's component catalog calls for a saved <see cref="PeftBinaryTextClassificationTransformer"/>.</summary>
internal static class PeftBinaryTextClassificationTransformerLoader
{
    private static PeftBinaryTextClassificationTransformer Create(IHostEnvironment environment, ModelLoadContext context) =>
        PeftBinaryTextClassificationTransformer.Load(environment, new ModelReader(context, PeftBinaryTextClassificationTransformer.Version));
}
