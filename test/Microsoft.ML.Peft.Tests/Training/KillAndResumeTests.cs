using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Peft.Checkpoints;
using Microsoft.ML.Peft.Tests.Checkpoints;
using Microsoft.ML.Peft.Training.Checkpointing;
using static TorchSharp.torch;

namespace Microsoft.ML.Peft.Tests.Training;

public class KillAndResumeTests
{
    [Fact]
    public void ARunKilledAfterACheckpointResumesToTheSameWeights()
    {
        using var folder = new TemporaryFolder();
        string reference = folder.File("uninterrupted.safetensors");
        string resumed = folder.File("resumed.safetensors");
        TrainingProbe.Run(null, "train", folder.File("reference-checkpoints"), reference);

        // Slow the run down after each step so the kill lands mid-training, a few steps after checkpoint 20.
        string checkpoints = folder.File("checkpoints");
        using (Process run = Process.Start(TrainingProbe.StartInfo(null, "train", checkpoints, folder.File("never.safetensors"), "--step-delay-ms", "60"))!)
        {
            _ = run.StandardError.ReadToEndAsync();
            string? line;
            while ((line = run.StandardOutput.ReadLine()) is not null && !line.Contains("checkpoint-00000020", StringComparison.Ordinal))
            {
            }

            Assert.True(line is not null, "the probe ended before writing checkpoint 20");
            run.Kill();
            Assert.True(run.WaitForExit(30_000));
            Assert.NotEqual(0, run.ExitCode);
        }

        Assert.False(File.Exists(folder.File("never.safetensors")), "the run finished before it was killed");
        long killedAt = long.Parse(Path.GetFileName(TrainingCheckpoints.Latest(checkpoints)!)["checkpoint-".Length..]);
        Assert.InRange(killedAt, 20, 45);

        IReadOnlyList<string> output = TrainingProbe.Run(null, "train", checkpoints, resumed, "--resume");
        JsonElement summary = JsonDocument.Parse(output[^1]).RootElement;
        Assert.Equal(48, summary.GetProperty("steps").GetInt64());
        Assert.Equal(killedAt, summary.GetProperty("resumedFrom").GetInt64());

        using var expected = SafeTensors.Open(reference);
        using var actual = SafeTensors.Open(resumed);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (string key in expected.Keys)
        {
            using Tensor a = expected.Read(key, ScalarType.Float32);
            using Tensor b = actual.Read(key, ScalarType.Float32);
            float[] left = a.data<float>().ToArray();
            float[] right = b.data<float>().ToArray();
            Assert.True(left.SequenceEqual(right), $"'{key}' differs by up to {left.Zip(right, (x, y) => Math.Abs(x - y)).Max():E2}");
        }
    }
}
