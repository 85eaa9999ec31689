using Microsoft.ML;
using Microsoft.ML.Peft.MLNetSeam.Loaders;
using Microsoft.ML.Peft.Trainers;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(
    typeof(PeftTextRegressionTransformer),
    typeof(PeftTextRegressionTransformerLoader),
    null,
    typeof(SignatureLoadModel),
    "PEFT text regressor",
    PeftTextRegressionTransformer.LoaderSignature)]

namespace Microsoft.ML.Peft.MLNetSeam.Loaders;

/// <summary>The loader ML.NET's component catalog calls for a saved <see cref="PeftTextRegressionTransformer"/>.</summary>
internal static class PeftTextRegressionTransformerLoader
{
    private static PeftTextRegressionTransformer Create(IHostEnvironment environment, ModelLoadContext context) =>
        PeftTextRegressionTransformer.Load(environment, new ModelReader(context, PeftTextRegressionTransformer.Version));
}
