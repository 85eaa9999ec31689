using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Training.Optimization;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter, decoupled weight decay) with PyTorch's exact update, over an explicit list of
/// trainable parameters split into a decayed and a non-decayed group. For each parameter with a gradient g at step t
/// (counted per parameter, as PyTorch does):
/// <code>
/// p ← p·(1 − lr·λ)                      (decayed parameters only)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// Moments are kept in the parameter's dtype (float32 for trainable weights) on its device.
/// Unlike <c>torch.optim.AdamW</c> in TorchSharp, its whole state is plain named tensors, so checkpoints can store it
/// in safetensors (<see cref="GetState"/>, <see cref="LoadState"/>).
/// </summary>
public sealed class AdamWOptimizer : IDisposable
{
    private const string ExpAvgSuffix = ".exp_avg";
    private const string ExpAvgSqSuffix = ".exp_avg_sq";
    private const string StepSuffix = ".step";

    private readonly OptimizedParameter[] _parameters;
    private readonly ParameterState?[] _states;
    private readonly AdamWOptions _options;
    private bool _disposed;

    /// <summary>
    /// Creates the optimizer for <paramref name="parameters"/> (typically <c>named_parameters()</c> filtered on
    /// <c>requires_grad</c>). <paramref name="excludeFromWeightDecay"/> defaults to <see cref="WeightDecayRule.IsExcludedByDefault"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No parameters, a duplicate name, or a parameter that is not floating point.</exception>
    public AdamWOptimizer(
        IEnumerable<(string Name, Parameter Parameter)> parameters,
        double learningRate,
        AdamWOptions? options = null,
        Func<string, Tensor, bool>? excludeFromWeightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _options = (options ?? new AdamWOptions()).Clone();
        _options.Validate();
        excludeFromWeightDecay ??= WeightDecayRule.IsExcludedByDefault;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<OptimizedParameter>();
        foreach ((string name, Parameter parameter) in parameters)
        {
            ArgumentNullException.ThrowIfNull(parameter, name);
            if (!names.Add(name))
            {
                throw new ArgumentException($"Parameter '{name}' is given twice.", nameof(parameters));
            }

            if (!parameter.is_floating_point())
            {
                throw new ArgumentException($"Parameter '{name}' is {parameter.dtype}; only floating-point parameters can be optimized.", nameof(parameters));
            }

            list.Add(new OptimizedParameter(name, parameter, Decays: !excludeFromWeightDecay(name, parameter)));
        }

        if (list.Count == 0)
        {
            throw new ArgumentException("There are no parameters to optimize (is every parameter frozen?).", nameof(parameters));
        }

        _parameters = list.ToArray();
        _states = new ParameterState?[_parameters.Length];
        LearningRate = learningRate;
    }

    /// <summary>The learning rate the next <see cref="Step"/> uses; a schedule sets it before each step.</summary>
    public double LearningRate { get; set; }

    /// <summary>
    /// Whether float32 CPU parameters take <see cref="FusedAdamWKernel"/>'s single pass (default) instead of libtorch's
    /// tensor operations; both compute the same update (tests compare them).
    /// </summary>
    internal bool UseFusedKernel { get; set; } = true;

    /// <summary>A copy of the hyper-parameters.</summary>
    public AdamWOptions Options => _options.Clone();

    /// <summary>The optimized parameters in the order given, with their weight-decay flag.</summary>
    public IReadOnlyList<OptimizedParameter> Parameters => _parameters;

    /// <summary>The names of the parameters that decay.</summary>
    public IEnumerable<string> DecayedParameterNames => _parameters.Where(p => p.Decays).Select(p => p.Name);

    /// <summary>The names of the parameters that never decay (biases, norm weights).</summary>
    public IEnumerable<string> NonDecayedParameterNames => _parameters.Where(p => !p.Decays).Select(p => p.Name);

    /// <summary>The largest per-parameter step count so far (0 before the first step).</summary>
    public long StepCount => _states.Max(s => s?.Step ?? 0);

    /// <summary>Applies one AdamW update to every parameter that has a gradient; parameters without one are skipped, as in PyTorch.</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        double lr = LearningRate;
        double beta1 = _options.Beta1;
        double beta2 = _options.Beta2;

        // Explicit, disposed Scalars: TorchSharp's implicit double-to-Scalar conversions are not tracked by dispose scopes,
        // and a temporary Scalar can be finalized by the GC while the native call still reads it.
        using Scalar decayFactor = (1 - (lr * _options.WeightDecay)).ToScalar();
        using Scalar beta2Scalar = beta2.ToScalar();
        using Scalar oneMinusBeta2 = (1 - beta2).ToScalar();
        using Scalar epsilon = _options.Epsilon.ToScalar();
        using var noGrad = no_grad();
        for (int i = 0; i < _parameters.Length; i++)
        {
            Parameter parameter = _parameters[i].Parameter;
            using Tensor? grad = parameter.grad;
            if (grad is null)
            {
                continue;
            }

            ParameterState state = _states[i] ??= ParameterState.Zeros(parameter);
            state.Step++;
            using var scope = NewDisposeScope();
            bool decays = _parameters[i].Decays && _options.WeightDecay != 0;
            double biasCorrection1 = 1 - Math.Pow(beta1, state.Step);
            double biasCorrection2 = 1 - Math.Pow(beta2, state.Step);
            if (UseFusedKernel && FusedAdamWKernel.Supports(parameter, grad, state.ExpAvg, state.ExpAvgSq))
            {
                FusedAdamWKernel.Update(
                    parameter, grad, state.ExpAvg, state.ExpAvgSq, decays ? 1 - (lr * _options.WeightDecay) : 1.0, beta1, beta2,
                    Math.Sqrt(biasCorrection2), _options.Epsilon, -lr / biasCorrection1);
                continue;
            }

            if (decays)
            {
                parameter.mul_(decayFactor);
            }

            // PyTorch: exp_avg.lerp_(grad, 1 - beta1), with the weight in the parameter's dtype.
            state.ExpAvg.lerp_(grad, tensor(1 - beta1, parameter.dtype, parameter.device));
            state.ExpAvgSq.mul_(beta2Scalar).addcmul_(grad, grad, oneMinusBeta2);
            using Scalar correction2Sqrt = Math.Sqrt(biasCorrection2).ToScalar();
            using Scalar negativeStepSize = (-lr / biasCorrection1).ToScalar();
            Tensor denominator = state.ExpAvgSq.sqrt().div_(correction2Sqrt).PlusInPlace(epsilon);
            parameter.addcdiv_(state.ExpAvg, denominator, negativeStepSize);
        }
    }

    /// <summary>Drops every parameter's gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (OptimizedParameter parameter in _parameters)
        {
            parameter.Parameter.grad = null;
        }
    }

    /// <summary>
    /// The optimizer state as named CPU tensors (copies the caller owns): <c>{name}.exp_avg</c>, <c>{name}.exp_avg_sq</c>
    /// and the int64 scalar <c>{name}.step</c> for each parameter that has taken a step.
    /// </summary>
    public Dictionary<string, Tensor> GetState()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (_states[i] is not { } state)
            {
                continue;
            }

            string name = _parameters[i].Name;
            result[name + ExpAvgSuffix] = state.ExpAvg.detach().cpu().clone();
            result[name + ExpAvgSqSuffix] = state.ExpAvgSq.detach().cpu().clone();
            result[name + StepSuffix] = tensor(state.Step);
        }

        return result;
    }

    /// <summary>
    /// Replaces the state with the tensors of <paramref name="source"/>, as <see cref="GetState"/> wrote them. Parameters
    /// the source has no state for start fresh; everything is checked before anything changes.
    /// </summary>
    /// <exception cref="InvalidDataException">A key names no parameter, a shape differs, or a parameter's state is incomplete.</exception>
    public void LoadState(IReadOnlyDictionary<string, Tensor> source, string description = "optimizer state")
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(source);
        var index = _parameters.Select((p, i) => (p.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
        foreach (string key in source.Keys)
        {
            string? owner = OwnerOf(key);
            if (owner is null || !index.ContainsKey(owner))
            {
                throw new InvalidDataException($"{description}: tensor '{key}' belongs to no optimized parameter.");
            }
        }

        var loaded = new ParameterState?[_parameters.Length];
        try
        {
            for (int i = 0; i < _parameters.Length; i++)
            {
                string name = _parameters[i].Name;
                bool hasAvg = source.TryGetValue(name + ExpAvgSuffix, out Tensor? expAvg);
                bool hasAvgSq = source.TryGetValue(name + ExpAvgSqSuffix, out Tensor? expAvgSq);
                bool hasStep = source.TryGetValue(name + StepSuffix, out Tensor? step);
                if (!hasAvg && !hasAvgSq && !hasStep)
                {
                    continue;
                }

                if (!(hasAvg && hasAvgSq && hasStep))
                {
                    throw new InvalidDataException($"{description}: the state of '{name}' is incomplete (exp_avg, exp_avg_sq and step are all needed).");
                }

                Parameter parameter = _parameters[i].Parameter;
                foreach ((string suffix, Tensor value) in new[] { (ExpAvgSuffix, expAvg!), (ExpAvgSqSuffix, expAvgSq!) })
                {
                    if (!value.shape.SequenceEqual(parameter.shape))
                    {
                        throw new InvalidDataException(
                            $"{description}: '{name}{suffix}' has shape [{string.Join(", ", value.shape)}] but the parameter has [{string.Join(", ", parameter.shape)}].");
                    }
                }

                var state = ParameterState.Zeros(parameter);
                loaded[i] = state;
                using (no_grad())
                {
                    state.ExpAvg.copy_(expAvg!);
                    state.ExpAvgSq.copy_(expAvgSq!);
                }

                state.Step = step!.to(ScalarType.Int64).item<long>();
            }
        }
        catch
        {
            foreach (ParameterState? state in loaded)
            {
                state?.Dispose();
            }

            throw;
        }

        for (int i = 0; i < _states.Length; i++)
        {
            _states[i]?.Dispose();
            _states[i] = loaded[i];
        }
    }

    /// <summary>Frees the moment tensors.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (ParameterState? state in _states)
        {
            state?.Dispose();
        }
    }

    private static string? OwnerOf(string key)
    {
        foreach (string suffix in new[] { ExpAvgSqSuffix, ExpAvgSuffix, StepSuffix })
        {
            if (key.EndsWith(suffix, StringComparison.Ordinal))
            {
                return key[..^suffix.Length];
            }
        }

        return null;
    }

    private sealed class ParameterState : IDisposable
    {
        private ParameterState(Tensor expAvg, Tensor expAvgSq)
        {
            ExpAvg = expAvg;
            ExpAvgSq = expAvgSq;
        }

        public Tensor ExpAvg { get; }

        public Tensor ExpAvgSq { get; }

        public long Step { get; set; }

        public static ParameterState Zeros(Tensor parameter)
        {
            // Outside any dispose scope: the state lives as long as the optimizer.
            using var detached = NewDisposeScope();
            Tensor expAvg = zeros_like(parameter).DetachFromDisposeScope();
            Tensor expAvgSq = zeros_like(parameter).DetachFromDisposeScope();
            return new ParameterState(expAvg, expAvgSq);
        }

        public void Dispose()
        {
            ExpAvg.Dispose();
            ExpAvgSq.Dispose();
        }
    }
}
