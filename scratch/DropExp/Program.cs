using System.Diagnostics;
using static TorchSharp.torch;
set_num_threads(2);
long n = 1024 * 3072;
var big = randn(1024, 3072);
double T(Action a) { a(); var times = new List<double>(); for (int i = 0; i < 5; i++) { var w = Stopwatch.StartNew(); using (NewDisposeScope()) a(); times.Add(w.Elapsed.TotalMilliseconds); } times.Sort(); return times[2]; }
Console.WriteLine($"bernoulli_ {T(() => empty_like(big).bernoulli_(0.9)):F1} ms");
Console.WriteLine($"dropout    {T(() => nn.functional.dropout(big, 0.1, true)):F1} ms");
// C#-filled bool mask
Tensor Mask(long count, double p, ulong seed)
{
    var mask = empty(count, ScalarType.Bool);
    Span<byte> bytes = mask.bytes;
    unsafe {
        fixed (byte* basePtr = bytes) {
            byte* ptr = basePtr; long len = bytes.Length;
            uint threshold = (uint)Math.Round(p * 65536);
            const long Chunk = 1 << 16;
            long chunks = (len + Chunk - 1) / Chunk;
            IntPtr start = (IntPtr)ptr;
            Parallel.For(0, chunks, c => {
                byte* q = (byte*)start + c * Chunk;
                long m = Math.Min(Chunk, len - c * Chunk);
                ulong s = seed + (ulong)c * 0x9E3779B97F4A7C15UL;
                for (long i = 0; i < m; i += 4) {
                    s += 0x9E3779B97F4A7C15UL; ulong z = s;
                    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL; z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL; z ^= z >> 31;
                    long k = Math.Min(4, m - i);
                    for (int j = 0; j < k; j++) { q[i + j] = (byte)(((uint)(z >> (16 * j)) & 0xFFFF) >= threshold ? 1 : 0); }
                }
            });
        }
    }
    return mask;
}
Console.WriteLine($"C# mask    {T(() => Mask(n, 0.1, 12345)):F1} ms");
Console.WriteLine($"C# dropout {T(() => big.mul(Mask(n, 0.1, 12345).view(1024, 3072)).mul_(1 / 0.9)):F1} ms");
var m0 = Mask(n, 0.1, 12345).view(1024, 3072);
Console.WriteLine($"mul bool   {T(() => big.mul(m0)):F1} ms");
Console.WriteLine($"masked_fill {T(() => big.masked_fill(m0.logical_not(), 0)):F1} ms");
using var zero = tensor(0f);
Console.WriteLine($"where      {T(() => where(m0, big, zero)):F1} ms");
Console.WriteLine($"mask->float mul {T(() => big.mul(m0.to_type(ScalarType.Float32))):F1} ms");
Console.WriteLine($"plain mul  {T(() => big.mul(big)):F1} ms");
var mk = Mask(n, 0.1, 99);
Console.WriteLine($"keep fraction {mk.to_type(ScalarType.Float32).mean().item<float>():F4}");
var x = randn(new long[]{1024, 3072}, requires_grad: true);
var y = x.mul(Mask(n, 0.1, 7).view(1024, 3072)).mul_(1 / 0.9);
y.sum().backward();
Console.WriteLine($"grad ok: {x.grad!.eq(0).to_type(ScalarType.Float32).mean().item<float>():F4} zero; grad nonzero value {x.grad.max().item<float>():F4}");
