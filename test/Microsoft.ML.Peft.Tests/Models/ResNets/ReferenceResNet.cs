namespace Microsoft.ML.Peft.Tests.Models.ResNets;

/// <summary>
/// A deliberately plain ResNet forward pass: double arrays and nested loops, written from torchvision's definition
/// (stride 2 on the first block of every stage but the first, stride on the bottleneck's 3×3, projection shortcut when
/// the stride or the width changes). It shares nothing with the TorchSharp model but the weights it is given.
/// </summary>
internal sealed class ReferenceResNet
{
    private const double Eps = 1e-5;
    private const double Momentum = 0.1;

    private readonly IReadOnlyDictionary<string, ReferenceTensor> _weights;
    private readonly bool _bottleneck;
    private readonly int[] _blocksPerStage;
    private readonly int _groups;

    public ReferenceResNet(IReadOnlyDictionary<string, ReferenceTensor> weights, bool bottleneck, int[] blocksPerStage, int groups)
    {
        _weights = weights;
        _bottleneck = bottleneck;
        _blocksPerStage = blocksPerStage;
        _groups = groups;
    }

    /// <summary>Running means and variances after a training-mode forward (torchvision update rule), by BN module name.</summary>
    public Dictionary<string, (double[] Mean, double[] Var)> UpdatedRunningStats { get; } = new();

    public double[,] Forward(Activation input, bool training)
    {
        UpdatedRunningStats.Clear();
        Activation x = Conv(input, "conv1.weight", stride: 2, padding: 3, groups: 1);
        x = Relu(BatchNorm(x, "bn1", training));
        x = MaxPool3x3Stride2Pad1(x);

        for (int stage = 0; stage < _blocksPerStage.Length; stage++)
        {
            for (int block = 0; block < _blocksPerStage[stage]; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                x = _bottleneck
                    ? BottleneckBlock(x, $"layer{stage + 1}.{block}", stride, training)
                    : BasicBlock(x, $"layer{stage + 1}.{block}", stride, training);
            }
        }

        double[] pooled = new double[x.N * x.C];
        for (int n = 0; n < x.N; n++)
        {
            for (int c = 0; c < x.C; c++)
            {
                double sum = 0;
                for (int h = 0; h < x.H; h++)
                {
                    for (int w = 0; w < x.W; w++)
                    {
                        sum += x[n, c, h, w];
                    }
                }

                pooled[n * x.C + c] = sum / (x.H * x.W);
            }
        }

        ReferenceTensor fcWeight = _weights["fc.weight"];
        ReferenceTensor fcBias = _weights["fc.bias"];
        int classes = (int)fcWeight.Shape[0];
        int features = (int)fcWeight.Shape[1];
        if (features != x.C)
        {
            throw new InvalidOperationException($"fc expects {features} features, the backbone gives {x.C}.");
        }

        var logits = new double[x.N, classes];
        for (int n = 0; n < x.N; n++)
        {
            for (int k = 0; k < classes; k++)
            {
                double sum = fcBias.Data[k];
                for (int f = 0; f < features; f++)
                {
                    sum += fcWeight.Data[k * features + f] * pooled[n * x.C + f];
                }

                logits[n, k] = sum;
            }
        }

        return logits;
    }

    private Activation BasicBlock(Activation input, string name, int stride, bool training)
    {
        Activation x = Relu(BatchNorm(Conv(input, $"{name}.conv1.weight", stride, 1, 1), $"{name}.bn1", training));
        x = BatchNorm(Conv(x, $"{name}.conv2.weight", 1, 1, 1), $"{name}.bn2", training);
        return Relu(Add(x, Shortcut(input, name, stride, x.C, training)));
    }

    private Activation BottleneckBlock(Activation input, string name, int stride, bool training)
    {
        Activation x = Relu(BatchNorm(Conv(input, $"{name}.conv1.weight", 1, 0, 1), $"{name}.bn1", training));
        x = Relu(BatchNorm(Conv(x, $"{name}.conv2.weight", stride, 1, _groups), $"{name}.bn2", training));
        x = BatchNorm(Conv(x, $"{name}.conv3.weight", 1, 0, 1), $"{name}.bn3", training);
        return Relu(Add(x, Shortcut(input, name, stride, x.C, training)));
    }

    private Activation Shortcut(Activation input, string name, int stride, int outChannels, bool training)
    {
        bool projects = stride != 1 || input.C != outChannels;
        bool present = _weights.ContainsKey($"{name}.downsample.0.weight");
        if (projects != present)
        {
            throw new InvalidOperationException(
                $"{name}: torchvision {(projects ? "has" : "has no")} a downsample here, the weights {(present ? "have" : "have none")}.");
        }

        return projects
            ? BatchNorm(Conv(input, $"{name}.downsample.0.weight", stride, 0, 1), $"{name}.downsample.1", training)
            : input;
    }

    private Activation Conv(Activation x, string key, int stride, int padding, int groups)
    {
        ReferenceTensor weight = _weights[key];
        int outC = (int)weight.Shape[0];
        int inPerGroup = (int)weight.Shape[1];
        int kh = (int)weight.Shape[2];
        int kw = (int)weight.Shape[3];
        if (inPerGroup * groups != x.C)
        {
            throw new InvalidOperationException($"{key}: expects {inPerGroup * groups} input channels, got {x.C}.");
        }

        int outPerGroup = outC / groups;
        int outH = (x.H + 2 * padding - kh) / stride + 1;
        int outW = (x.W + 2 * padding - kw) / stride + 1;
        var y = new Activation(x.N, outC, outH, outW);
        for (int n = 0; n < x.N; n++)
        {
            for (int o = 0; o < outC; o++)
            {
                int group = o / outPerGroup;
                for (int oh = 0; oh < outH; oh++)
                {
                    for (int ow = 0; ow < outW; ow++)
                    {
                        double sum = 0;
                        for (int i = 0; i < inPerGroup; i++)
                        {
                            int c = group * inPerGroup + i;
                            for (int r = 0; r < kh; r++)
                            {
                                int h = oh * stride - padding + r;
                                if (h < 0 || h >= x.H)
                                {
                                    continue;
                                }

                                for (int s = 0; s < kw; s++)
                                {
                                    int w = ow * stride - padding + s;
                                    if (w < 0 || w >= x.W)
                                    {
                                        continue;
                                    }

                                    sum += weight.Data[((o * inPerGroup + i) * kh + r) * kw + s] * x[n, c, h, w];
                                }
                            }
                        }

                        y[n, o, oh, ow] = sum;
                    }
                }
            }
        }

        return y;
    }

    private Activation BatchNorm(Activation x, string name, bool training)
    {
        double[] gamma = _weights[$"{name}.weight"].Data;
        double[] beta = _weights[$"{name}.bias"].Data;
        double[] runningMean = _weights[$"{name}.running_mean"].Data;
        double[] runningVar = _weights[$"{name}.running_var"].Data;
        int count = x.N * x.H * x.W;
        var y = new Activation(x.N, x.C, x.H, x.W);
        var newMean = new double[x.C];
        var newVar = new double[x.C];
        for (int c = 0; c < x.C; c++)
        {
            double mean;
            double variance;
            if (training)
            {
                double sum = 0;
                ForEachPosition(x, (n, h, w) => sum += x[n, c, h, w]);
                mean = sum / count;
                double squares = 0;
                ForEachPosition(x, (n, h, w) => squares += (x[n, c, h, w] - mean) * (x[n, c, h, w] - mean));
                variance = squares / count;

                // The running variance takes the unbiased batch variance; normalization uses the biased one.
                newMean[c] = (1 - Momentum) * runningMean[c] + Momentum * mean;
                newVar[c] = (1 - Momentum) * runningVar[c] + Momentum * squares / (count - 1);
            }
            else
            {
                mean = runningMean[c];
                variance = runningVar[c];
            }

            double scale = gamma[c] / Math.Sqrt(variance + Eps);
            ForEachPosition(x, (n, h, w) => y[n, c, h, w] = (x[n, c, h, w] - mean) * scale + beta[c]);
        }

        if (training)
        {
            UpdatedRunningStats[name] = (newMean, newVar);
        }

        return y;
    }

    private static Activation MaxPool3x3Stride2Pad1(Activation x)
    {
        int outH = (x.H + 2 - 3) / 2 + 1;
        int outW = (x.W + 2 - 3) / 2 + 1;
        var y = new Activation(x.N, x.C, outH, outW);
        for (int n = 0; n < x.N; n++)
        {
            for (int c = 0; c < x.C; c++)
            {
                for (int oh = 0; oh < outH; oh++)
                {
                    for (int ow = 0; ow < outW; ow++)
                    {
                        // Padding counts as -infinity: it never wins.
                        double best = double.NegativeInfinity;
                        for (int r = 0; r < 3; r++)
                        {
                            for (int s = 0; s < 3; s++)
                            {
                                int h = oh * 2 - 1 + r;
                                int w = ow * 2 - 1 + s;
                                if (h >= 0 && h < x.H && w >= 0 && w < x.W)
                                {
                                    best = Math.Max(best, x[n, c, h, w]);
                                }
                            }
                        }

                        y[n, c, oh, ow] = best;
                    }
                }
            }
        }

        return y;
    }

    private static Activation Relu(Activation x)
    {
        var y = new Activation(x.N, x.C, x.H, x.W);
        for (int i = 0; i < x.Values.Length; i++)
        {
            y.Values[i] = Math.Max(0, x.Values[i]);
        }

        return y;
    }

    private static Activation Add(Activation a, Activation b)
    {
        if (a.N != b.N || a.C != b.C || a.H != b.H || a.W != b.W)
        {
            throw new InvalidOperationException($"Residual shapes differ: [{a.N},{a.C},{a.H},{a.W}] vs [{b.N},{b.C},{b.H},{b.W}].");
        }

        var y = new Activation(a.N, a.C, a.H, a.W);
        for (int i = 0; i < a.Values.Length; i++)
        {
            y.Values[i] = a.Values[i] + b.Values[i];
        }

        return y;
    }

    private static void ForEachPosition(Activation x, Action<int, int, int> action)
    {
        for (int n = 0; n < x.N; n++)
        {
            for (int h = 0; h < x.H; h++)
            {
                for (int w = 0; w < x.W; w++)
                {
                    action(n, h, w);
                }
            }
        }
    }
}

/// <summary>A named tensor's values (row-major) and shape, in double precision.</summary>
internal sealed record ReferenceTensor(double[] Data, long[] Shape);

/// <summary>An NCHW activation in double precision.</summary>
internal sealed class Activation
{
    public Activation(int batch, int channels, int height, int width)
    {
        N = batch;
        C = channels;
        H = height;
        W = width;
        Values = new double[batch * channels * height * width];
    }

    public int N { get; }

    public int C { get; }

    public int H { get; }

    public int W { get; }

    public double[] Values { get; }

    public double this[int n, int c, int h, int w]
    {
        get => Values[((n * C + c) * H + h) * W + w];
        set => Values[((n * C + c) * H + h) * W + w] = value;
    }
}
