using System.Runtime.CompilerServices;

// The training probe (a test process) switches off dispose scopes to show the memory test can fail.
[assembly: InternalsVisibleTo("Microsoft.ML.Peft.TrainingProbe")]
