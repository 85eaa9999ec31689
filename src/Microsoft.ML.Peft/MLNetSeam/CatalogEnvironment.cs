using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.MLNetSeam;

/// <summary>The <see cref="IHostEnvironment"/> behind an ML.NET catalog (ML.NET exposes it through an internal interface).</summary>
internal static class CatalogEnvironment
{
    /// <summary>The environment of <paramref name="catalog"/> (any of MLContext's catalogs and sub-catalogs).</summary>
    public static IHostEnvironment Of(object catalog) =>
        catalog is IInternalCatalog internalCatalog
            ? internalCatalog.Environment
            : throw new ArgumentException($"{catalog.GetType().FullName} is not an ML.NET catalog.", nameof(catalog));
}
