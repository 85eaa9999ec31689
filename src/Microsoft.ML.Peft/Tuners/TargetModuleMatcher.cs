using System.Globalization;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Peft.Tuners;

/// <summary>
/// Hugging Face PEFT's module selection rules (<c>check_target_module_exists</c>, <c>_set_trainable</c>,
/// <c>get_pattern_key</c>), applied to dotted module names. Python's <c>re.match</c> anchors at the start and
/// <c>re.fullmatch</c> at both ends; the .NET patterns below add the same anchors.
/// </summary>
internal static class TargetModuleMatcher
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>Whether the adapter of <paramref name="config"/> applies to the module named <paramref name="key"/>.</summary>
    public static bool IsTarget(TunerConfig config, string key, ModuleSelector targets)
    {
        if (config.ExcludeModules is { } exclude && Selects(exclude, key))
        {
            return false;
        }

        // PEFT never adapts a module inside one that is trained fully (it would fight with the copy).
        if (config.ModulesToSave is { } toSave &&
            toSave.Any(m => Regex.IsMatch(key, $@"\A(?:^|.*\.)(?:{m})(?:$|\..*)", RegexOptions.None, Timeout)))
        {
            return false;
        }

        if (targets.Pattern is { } pattern)
        {
            return FullMatch(pattern, key);
        }

        if (targets.Names.Contains(key, StringComparer.Ordinal))
        {
            return true;
        }

        if (!targets.Names.Any(name => key.EndsWith("." + name, StringComparison.Ordinal)))
        {
            return false;
        }

        return config.LayersToTransform is not { Count: > 0 } layers || IsInLayers(key, layers, config.LayersPattern);
    }

    /// <summary>PEFT's <c>modules_to_save</c> rule: the dotted name ends with the entry (plain suffix, no dot required).</summary>
    public static bool IsModuleToSave(IEnumerable<string> modulesToSave, string key) =>
        modulesToSave.Any(m => key.EndsWith(m, StringComparison.Ordinal));

    /// <summary>
    /// The <c>rank_pattern</c>/<c>alpha_pattern</c> entry for a module (PEFT's <c>get_pattern_key</c>: the first key
    /// <c>k</c> for which <c>(.*\.)?(k)$</c> matches from the start of the name), or <c>null</c>.
    /// </summary>
    public static string? FindPatternKey(IEnumerable<string> patternKeys, string key) =>
        patternKeys.FirstOrDefault(k => Regex.IsMatch(key, $@"\A(.*\.)?(?:{k})$", RegexOptions.None, Timeout));

    private static bool Selects(ModuleSelector selector, string key) =>
        selector.Pattern is { } pattern
            ? FullMatch(pattern, key)
            : selector.Names.Any(name => key == name || key.EndsWith("." + name, StringComparison.Ordinal));

    /// <summary>Python's <c>re.fullmatch(pattern, key)</c>.</summary>
    internal static bool FullMatch(string pattern, string key) =>
        Regex.IsMatch(key, $@"\A(?:{pattern})\z", RegexOptions.None, Timeout);

    private static bool IsInLayers(string key, IReadOnlyList<int> layers, IReadOnlyList<string>? layersPattern)
    {
        Match? match = null;
        if (layersPattern is null or { Count: 0 })
        {
            match = Regex.Match(key, @"\A.*\.[^.]*\.(\d+)\.", RegexOptions.None, Timeout);
        }
        else
        {
            foreach (string pattern in layersPattern)
            {
                match = Regex.Match(key, $@"\A.*\.(?:{pattern})\.(\d+)\.", RegexOptions.None, Timeout);
                if (match.Success)
                {
                    break;
                }
            }
        }

        return match is { Success: true } &&
               layers.Contains(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
    }
}
