using System.Collections;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>
/// Which modules an adapter applies to, with Hugging Face PEFT's two forms of <c>target_modules</c>: a list of names, each
/// matching a module whose dotted name equals it or ends with <c>"." + name</c> (so <c>"query"</c> matches
/// <c>bert.encoder.layer.0.attention.self.query</c> but not <c>myquery</c>), or a regular expression that must match
/// the whole dotted name.
/// </summary>
/// <example><code>
/// TargetModules = ["query", "value"],
/// TargetModules = ModuleSelector.FromPattern(@".*\.layer\.[01]\..*\.(query|value)"),
/// </code></example>
[CollectionBuilder(typeof(ModuleSelector), nameof(Create))]
public sealed class ModuleSelector : IEnumerable<string>
{
    private readonly string[] _names;

    private ModuleSelector(string[] names, string? pattern)
    {
        _names = names;
        Pattern = pattern;
    }

    /// <summary>The names to match by suffix; empty when this selector is a regular expression.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The regular expression matched against whole module names, or <c>null</c> for a name list.</summary>
    public string? Pattern { get; }

    /// <summary>Whether this selector is a regular expression rather than a name list.</summary>
    public bool IsPattern => Pattern is not null;

    /// <summary>A name list (used by collection expressions: <c>["query", "value"]</c>).</summary>
    public static ModuleSelector Create(ReadOnlySpan<string> names) => FromNames(names.ToArray());

    /// <summary>A name list; duplicates are removed, order is kept.</summary>
    /// <exception cref="ArgumentException">A name is empty.</exception>
    public static ModuleSelector FromNames(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        string[] list = names.Distinct(StringComparer.Ordinal).ToArray();
        if (list.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("Module names must not be empty.", nameof(names));
        }

        return new ModuleSelector(list, null);
    }

    /// <summary>A regular expression that must match a module's whole dotted name (Python <c>re.fullmatch</c>).</summary>
    /// <exception cref="ArgumentException">The pattern is empty.</exception>
    public static ModuleSelector FromPattern(string pattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        return new ModuleSelector([], pattern);
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)_names).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => Pattern ?? "[" + string.Join(", ", _names) + "]";
}
