using System.Diagnostics;
using Microsoft.ML.Peft.Models.Common;
using Microsoft.ML.Peft.Training.Optimization;
using Microsoft.ML.Peft.Training.Precision;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Benchmarks;

/// <summary>
/// (internal) One BERT configuration's training step split into the phases the engine runs (forward with loss,
/// backward, clipping, AdamW, zeroing), with the engine's own optimizer and clipping, medians over a few steps.
/// </summary>
internal static class StepPhases
{
    public static void Run(string modelName, string method, string precision, int batch, int sequence, int steps, int threads)
    {
        set_num_threads(threads);
        nn.Module model = BenchmarkModels.Create(modelName, 2, seed: 11);
        using PreparedModel prepared = PreparedModel.Prepare(model, method);
        var classifier = (ISequenceClassificationModel)prepared.Model;
        List<(string Name, Parameter Parameter)> trainable = prepared.Model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        using IDisposable? mixed = precision == "bf16" ? MixedPrecision.Apply(prepared.Model) : null;
        using var optimizer = new AdamWOptimizer(trainable, 1e-4);
        using var ids = randint(1000, 30000, [batch, sequence], ScalarType.Int64);
        using var mask = ones(batch, sequence, ScalarType.Int64);
        using var labels = randint(0, 2, [batch], ScalarType.Int64);
        prepared.Model.train();
        var phases = new Dictionary<string, List<double>>();
        using var memory = new PhaseMemory();
        var heapAtEnd = new Dictionary<string, (double Heap, double InUse, double Free, double Mapped)?>();
        void Add(string phase, long start)
        {
            (phases.TryGetValue(phase, out var list) ? list : phases[phase] = []).Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            heapAtEnd[phase] = PhaseMemory.Heap();
        }

        for (int step = 0; step < steps + 1; step++)
        {
            using var scope = NewDisposeScope();
            memory.Enter("forward");
            long t = Stopwatch.GetTimestamp();
            Tensor loss = nn.functional.cross_entropy(classifier.Forward(ids, mask).to(ScalarType.Float32), labels);
            loss.item<float>();
            Add("forward", t);
            memory.Enter("backward");
            t = Stopwatch.GetTimestamp();
            loss.backward();
            Add("backward", t);
            memory.Enter("clip");
            t = Stopwatch.GetTimestamp();
            GradientClipping.ClipByGlobalNorm(trainable.Select(p => (Tensor)p.Parameter), 1.0);
            Add("clip", t);
            memory.Enter("adamw");
            t = Stopwatch.GetTimestamp();
            optimizer.Step();
            Add("adamw", t);
            memory.Enter("zero_grad");
            t = Stopwatch.GetTimestamp();
            optimizer.ZeroGrad();
            Add("zero_grad", t);
        }

        double total = 0;
        foreach ((string phase, List<double> seconds) in phases)
        {
            double median = Measurement.Median(seconds.Skip(1).ToArray());
            total += median;
            string heap = heapAtEnd.GetValueOrDefault(phase) is { } h ? $"   at end: heap {h.Heap:F0}, in use {h.InUse:F0}, free {h.Free:F0}, mmapped {h.Mapped:F0} MiB" : "";
            Console.WriteLine($"{modelName} {method} {precision} {phase,-10} {median * 1000,9:F1} ms   peak RSS {memory.Peaks.GetValueOrDefault(phase):F0} MiB{heap}");
        }

        Console.WriteLine($"{modelName} {method} {precision} {"total",-10} {total * 1000,9:F1} ms   peak RSS {Measurement.PeakResidentMiB():F0} MiB");
    }
}
