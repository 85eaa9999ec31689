using Microsoft.ML;
using Microsoft.ML.Peft.MLNetSeam.Loaders;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(
    typeof(PeftImageClassificationTransformer),
    typeof(PeftImageClassificationTransformerLoader),
    null,
    typeof(SignatureLoadModel),
    "PEFT multiclass image classifier",
    PeftImageClassificationTransformer.LoaderSignature)]

namespace Microsoft.ML.Peft.MLNetSeam.Loaders;

/// <summary>The loader ML.NET's component catalog calls for a saved <see cref="PeftImageClassificationTransformer"/>.</summary>
internal static class PeftImageClassificationTransformerLoader
{
    private static PeftImageClassificationTransformer Create(IHostEnvironment environment, ModelLoadContext context) =>
        PeftImageClassificationTransformer.Load(environment, new ModelReader(context, PeftImageClassificationTransformer.Version));
}
