namespace Microsoft.ML.Peft.Tests.Hub;

/// <summary>A request the fake Hub received: which listener (the Hub or its "CDN"), method, target and headers (lower-case names).</summary>
internal sealed record RecordedRequest(bool ToCdn, string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    public string? Range => Headers.GetValueOrDefault("range");

    public string? Authorization => Headers.GetValueOrDefault("authorization");

    public bool IsFor(string fileName) => Target.Split('?')[0].EndsWith("/" + fileName, StringComparison.Ordinal);
}
