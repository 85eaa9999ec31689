namespace Microsoft.ML.Peft;

/// <summary>
/// Declares that a module keeps no fields for its children and looks each one up by its registered name every time
/// its <c>forward</c> runs (as the library's Hugging Face ports do). PEFT then adapts such a child by replacing it in
/// the module's registry alone: the adapter layer is what the next forward finds under that name.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true, AllowMultiple = false)]
public sealed class ResolvesChildrenByNameAttribute : Attribute
{
}
