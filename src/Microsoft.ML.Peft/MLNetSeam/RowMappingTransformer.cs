using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Peft.MLNetSeam;

/// <summary>
/// The engine behind our public row-to-row transformers: an ML.NET <see cref="RowToRowTransformerBase"/> driven by an
/// <see cref="IRowMapping"/>. Public transformer types hold one and forward <see cref="ITransformer"/> to it, so ML.NET's
/// internal types never appear in our public API.
/// </summary>
internal sealed class RowMappingTransformer : RowToRowTransformerBase
{
    // The overrides below are private protected in ML.NET; the publicized reference shows them as protected.
    private readonly IRowMapping _mapping;
    private readonly ModelVersion _version;

    internal RowMappingTransformer(IHostEnvironment environment, string registrationName, IRowMapping mapping, ModelVersion version)
        : base(Contracts.CheckRef(environment, nameof(environment)).Register(registrationName))
    {
        _mapping = mapping;
        _version = version;
    }

    /// <summary>Saves the mapping as its own model stream (what <c>mlContext.Model.Save</c> calls through the public type).</summary>
    internal void SaveTo(ModelSaveContext context) => ((ICanSaveModel)this).Save(context);

    protected override void SaveModel(ModelSaveContext ctx) => _mapping.Save(new ModelWriter(ctx, _version));

    protected override IRowMapper MakeRowMapper(DataViewSchema schema) => new Mapper(this, schema);

    private sealed class Mapper : MapperBase
    {
        private readonly RowMappingTransformer _owner;

        public Mapper(RowMappingTransformer parent, DataViewSchema inputSchema)
            : base(parent.Host.Register(nameof(Mapper)), inputSchema, parent)
        {
            _owner = parent;
        }

        protected override DataViewSchema.DetachedColumn[] GetOutputColumnsCore() => _owner._mapping.GetOutputColumns(InputSchema);

        protected override Delegate MakeGetter(DataViewRow input, int iinfo, Func<int, bool> activeOutput, out Action disposer)
        {
            Delegate getter = _owner._mapping.MakeGetter(input, iinfo, out Action? mappingDisposer);
            // Null when there is nothing to dispose: ML.NET then skips the disposer list, which holds nulls for
            // inactive outputs (a non-null no-op here would make it walk that list and fail on the nulls).
            disposer = mappingDisposer!;
            return getter;
        }

        protected override Func<int, bool> GetDependenciesCore(Func<int, bool> activeOutput)
        {
            var needed = new bool[InputSchema.Count];
            for (int i = 0; i < needed.Length; i++)
            {
                needed[i] = _owner._mapping.IsInputNeeded(InputSchema, i, activeOutput);
            }

            return i => needed[i];
        }

        protected override void SaveModel(ModelSaveContext ctx) => _owner.SaveTo(ctx);
    }
}
