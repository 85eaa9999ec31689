using Microsoft.ML;
using Microsoft.ML.Peft.MLNetSeam.Loaders;
using Microsoft.ML.Peft.Transforms;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(
    typeof(TextTokenizingTransformer),
    typeof(TextTokenizingTransformerLoader),
    null,
    typeof(SignatureLoadModel),
    "PEFT text tokenizing transformer",
    TextTokenizingTransformer.LoaderSignature)]

namespace Microsoft.ML.Peft.MLNetSeam.Loaders;

/// <summary>The loader ML.NET's component catalog calls for a saved <see cref="TextTokenizingTransformer"/>.</summary>
internal static class TextTokenizingTransformerLoader
{
    private static TextTokenizingTransformer Create(IHostEnvironment environment, ModelLoadContext context) =>
        TextTokenizingTransformer.Load(environment, new ModelReader(context, TextTokenizingTransformer.Version));
}
