// Training runs in a fresh process, for the tests that must kill a run or measure its memory alone.
//   train <checkpointFolder> <weightsOut> [--resume] [--step-delay-ms N]
//       trains a tiny BERT (embeddings frozen, dropout on) with checkpoints every 5 steps; prints each log line;
//       writes the final trainable weights to <weightsOut> and then a JSON line {"steps":..,"resumedFrom":..}.
//   rss <steps> [--no-scopes] [--gc-every N]
//       trains a tiny BERT for <steps> steps (batch 4, up to 16 tokens) and prints {"rss":[VmRSS kB after each step]};
//       with PROBE_STATS=1 it also writes GC counts, managed heap size and live tensors every 200 steps to stderr.
using System.Text.Json;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Models.Bert;
using Microsoft.ML.Peft.Training;
using Microsoft.ML.Peft.Training.Data;
using Microsoft.ML.Peft.Training.Optimization;
using Microsoft.ML.Peft.Training.Tasks;
using Microsoft.ML.Peft.TrainingProbe;
using static TorchSharp.torch;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: train <checkpointFolder> <weightsOut> [--resume] [--step-delay-ms N] | rss <steps> [--no-scopes] [--gc-every N]");
    return 2;
}

return args[0] switch
{
    "train" => Train(args[1], args[2], args.Contains("--resume"), IntOption(args, "--step-delay-ms", 0)),
    "rss" => Rss(int.Parse(args[1]), !args.Contains("--no-scopes"), IntOption(args, "--gc-every", 100)),
    _ => 2,
};

static int Train(string checkpoints, string weightsOut, bool resume, int stepDelayMs)
{
    var tokenizer = ProbeModel.Tokenizer();
    TextDataSet data = ProbeModel.Data(tokenizer, rows: 120, seed: 7);
    using BertForSequenceClassification model = ProbeModel.Bert(tokenizer.VocabularySize, hidden: 16, layers: 1, dropout: 0.1, seed: 3);
    foreach ((string name, var parameter) in model.named_parameters().Where(p => p.name.Contains(".embeddings.")))
    {
        parameter.requires_grad = false;
    }

    var options = new TrainingOptions
    {
        Epochs = 4,
        BatchSize = 4,
        GradientAccumulationSteps = 2,
        LearningRate = 1e-3,
        Schedule = LearningRateScheduleKind.Cosine,
        WarmupRatio = 0.1,
        ValidationFraction = 0.2,
        EarlyStoppingPatience = 3,
        RestoreBestWeights = false,
        CheckpointFolder = checkpoints,
        CheckpointEveryNSteps = 5,
        KeepLastCheckpoints = 2,
        ResumeFromCheckpoint = resume,
        Threads = 1,
        DataLoaderWorkers = 2,
        Log = line => Console.WriteLine("log: " + line.Replace('\n', ' ')),
        Progress = new SynchronousProgress<TrainingProgress>(_ =>
        {
            if (stepDelayMs > 0)
            {
                Thread.Sleep(stepDelayMs);
            }
        }),
    };

    TrainingResult result = new TrainingLoop(options).Fit(model, TrainingTasks.SequenceClassification(), data);
    SafeTensors.Save(weightsOut, model.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => (Tensor)p.parameter));
    Console.WriteLine(JsonSerializer.Serialize(new { steps = result.Steps, resumedFrom = result.ResumedFromStep }));
    return 0;
}

static int Rss(int steps, bool useScopes, int gcEvery)
{
    var tokenizer = ProbeModel.Tokenizer();
    TextDataSet data = ProbeModel.Data(tokenizer, rows: 400, seed: 11);
    using BertForSequenceClassification model = ProbeModel.Bert(tokenizer.VocabularySize, hidden: 32, layers: 2, dropout: 0.1, seed: 5);
    var rss = new List<long>();
    var options = new TrainingOptions
    {
        Epochs = (steps + 99) / 100,
        BatchSize = 4,
        LearningRate = 1e-3,
        Threads = 1,
        DataLoaderWorkers = 1,
        CollectGarbageEveryNSteps = gcEvery,
        UseDisposeScopes = useScopes,
        Progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            rss.Add(ResidentKilobytes());
            if (Environment.GetEnvironmentVariable("PROBE_STATS") == "1" && p.Step % 200 == 0)
            {
                Console.Error.WriteLine($"step {p.Step}: gc0={GC.CollectionCount(0)} gc2={GC.CollectionCount(2)} managed={GC.GetTotalMemory(false) / 1024}kB rss={rss[^1]}kB live tensors={TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount}");
            }
        }),
    };
    new TrainingLoop(options).Fit(model, TrainingTasks.SequenceClassification(), data);
    Console.WriteLine(JsonSerializer.Serialize(new { rss }));
    return 0;
}

static long ResidentKilobytes()
{
    foreach (string line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]);
        }
    }

    return -1;
}

static int IntOption(string[] args, string name, int fallback)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
}

/// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
