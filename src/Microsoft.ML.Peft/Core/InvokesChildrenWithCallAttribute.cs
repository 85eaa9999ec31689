namespace Microsoft.ML.Peft;

/// <summary>
/// Declares that a module's <c>forward</c> invokes its child modules with <c>call(...)</c>, which runs forward hooks,
/// rather than with <c>forward(...)</c>, which skips them. PEFT can then adapt a child held in a field of a concrete
/// sealed type (such as <c>Linear conv1</c>) by hooking it; without this declaration such a child can only be adapted
/// when the field is typed <c>nn.Module&lt;Tensor, Tensor&gt;</c>, so that the adapter layer can take its place.
/// </summary>
/// <remarks>
/// TorchSharp's <c>forward</c> never runs hooks, so a hooked child that is called with <c>forward</c> would silently
/// keep computing the unadapted result. PEFT therefore refuses to hook children of modules without this attribute
/// and says which field to change.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, Inherited = true, AllowMultiple = false)]
public sealed class InvokesChildrenWithCallAttribute : Attribute
{
}
