using Microsoft.ML;
using Microsoft.ML.Peft.MLNetSeam.Loaders;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(
    typeof(PeftTextClassificationTransformer),
    typeof(PeftTextClassificationTransformerLoader),
    null,
    typeof(SignatureLoadModel),
    "PEFT multiclass text classifier",
    PeftTextClassificationTransformer.LoaderSignature)]

namespace Microsoft.ML.Peft.MLNetSeam.Loaders;

/// <summary>The loader ML.NET's component catalog calls for a saved <see cref="PeftTextClassificationTransformer"/>.</summary>
internal static class PeftTextClassificationTransformerLoader
{
    private static PeftTextClassificationTransformer Create(IHostEnvironment environment, ModelLoadContext context) =>
        PeftTextClassificationTransformer.Load(environment, new ModelReader(context, PeftTextClassificationTransformer.Version));
}
