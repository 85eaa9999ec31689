using TorchSharp.Modules;

namespace Microsoft.ML.Peft.Training.Optimization;

/// <summary>A parameter under the optimizer's control: its state-dict name, the tensor, and whether it decays.</summary>
/// <param name="Name">The name from <c>named_parameters()</c>.</param>
/// <param name="Parameter">The parameter tensor, updated in place.</param>
/// <param name="Decays">Whether decoupled weight decay applies to it.</param>
public sealed record OptimizedParameter(string Name, Parameter Parameter, bool Decays);
