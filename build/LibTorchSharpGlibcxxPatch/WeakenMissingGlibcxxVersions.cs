// MSBuild task compiled by RoslynCodeTaskFactory (see LibTorchSharpGlibcxxPatch.targets).
//
// Why: TorchSharp 0.107.0's libLibTorchSharp.so was linked against a libstdc++ that defines
// GLIBCXX_3.4.32. The only symbol that carries that version is the unbound marker
// `std::ios_base_library_init()` that GCC 13 headers emit; nothing calls it. Debian 12 ships
// GLIBCXX_3.4.30, so the dynamic loader refuses the whole library. Marking that version-need
// weak (VER_FLG_WEAK in its Vernaux entry of .gnu.version_r) makes the loader accept it.
//
// The task is careful:
//  * it only weakens versions that the host's libstdc++ does not define;
//  * it only does so when every dynamic symbol that needs such a version is a known marker
//    symbol (otherwise a real function would be missing at run time, so it warns and leaves the file);
//  * it never edits a file in place: it patches a temporary copy and renames it over the output file,
//    so a hard link or symbolic link into the NuGet cache is replaced, never written through;
//  * it keeps the original timestamp so MSBuild's incremental copy sees the file as up to date;
//  * it is idempotent: an already weak entry is left alone and the file is not rewritten.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenMissingGlibcxxVersions : Task
{
    private const ushort VersionFlagWeak = 0x2;
    private const uint SectionTypeDynSym = 11;
    private const uint SectionTypeVerNeed = 0x6ffffffe;
    private const uint SectionTypeVerSym = 0x6fffffff;
    private const uint SectionTypeVerDef = 0x6ffffffd;

    /// <summary>Marker symbols that carry a library version but are never called.</summary>
    private static readonly HashSet<string> MarkerSymbols = new HashSet<string>(StringComparer.Ordinal)
    {
        "_ZSt21ios_base_library_initv",
    };

    /// <summary>The libLibTorchSharp.so copies in a build or publish output.</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>Optional explicit path of the host's libstdc++.so.6 (found automatically when empty).</summary>
    public string HostLibStdCxx { get; set; } = "";

    /// <summary>The files that were rewritten by this run.</summary>
    [Output]
    public ITaskItem[] PatchedFiles { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        string hostLibrary = string.IsNullOrEmpty(HostLibStdCxx) ? FindHostLibStdCxx() : HostLibStdCxx;
        if (hostLibrary == null || !File.Exists(hostLibrary))
        {
            Log.LogMessage(MessageImportance.Normal, "LibTorchSharp GLIBCXX patch: no host libstdc++.so.6 found; nothing to do.");
            return true;
        }

        HashSet<string> hostVersions;
        try
        {
            hostVersions = ElfFile.Read(hostLibrary).DefinedVersions();
        }
        catch (InvalidDataException e)
        {
            Log.LogWarning("LibTorchSharp GLIBCXX patch: cannot read the version definitions of '{0}': {1}", hostLibrary, e.Message);
            return true;
        }

        var patched = new List<ITaskItem>();
        foreach (ITaskItem item in Files)
        {
            string path = item.GetMetadata("FullPath");
            try
            {
                if (PatchFile(path, hostLibrary, hostVersions))
                {
                    patched.Add(new TaskItem(path));
                }
            }
            catch (InvalidDataException e)
            {
                Log.LogError("LibTorchSharp GLIBCXX patch: '{0}' is not a readable ELF64 library: {1}", path, e.Message);
            }
        }

        PatchedFiles = patched.ToArray();
        return !Log.HasLoggedErrors;
    }

    private bool PatchFile(string path, string hostLibrary, HashSet<string> hostVersions)
    {
        byte[] image = File.ReadAllBytes(path);
        ElfFile elf = ElfFile.Parse(image, path);
        List<ElfFile.VersionNeed> missing = elf.VersionNeeds()
            .Where(n => n.File.StartsWith("libstdc++.so", StringComparison.Ordinal) && !hostVersions.Contains(n.Name))
            .ToList();
        if (missing.Count == 0)
        {
            Log.LogMessage(MessageImportance.Low, "LibTorchSharp GLIBCXX patch: '{0}' needs no version that '{1}' lacks.", path, hostLibrary);
            return false;
        }

        Dictionary<ushort, List<string>> symbolsByVersion = elf.UndefinedSymbolsByVersionIndex();
        bool changed = false;
        foreach (ElfFile.VersionNeed need in missing)
        {
            List<string> symbols = symbolsByVersion.TryGetValue(need.VersionIndex, out var list) ? list : new List<string>();
            List<string> real = symbols.Where(s => !MarkerSymbols.Contains(s)).ToList();
            if (real.Count > 0)
            {
                Log.LogWarning(
                    "LibTorchSharp GLIBCXX patch: '{0}' needs {1}, which '{2}' lacks, for real symbols ({3}); not patched. Install a newer libstdc++.",
                    path, need.Name, hostLibrary, string.Join(", ", real.Take(5)));
                continue;
            }

            if ((need.Flags & VersionFlagWeak) != 0)
            {
                continue;
            }

            elf.SetVersionNeedFlags(need, (ushort)(need.Flags | VersionFlagWeak));
            changed = true;
            Log.LogMessage(MessageImportance.High, "LibTorchSharp GLIBCXX patch: marked {0} weak in {1} (host has no such version; only marker symbols use it).", need.Name, path);
        }

        if (!changed)
        {
            return false;
        }

        // Verify before replacing: the rewritten image must parse and show the weak flags.
        ElfFile check = ElfFile.Parse(image, path);
        foreach (ElfFile.VersionNeed need in check.VersionNeeds().Where(n => missing.Any(m => m.Offset == n.Offset)))
        {
            if ((need.Flags & VersionFlagWeak) == 0)
            {
                throw new InvalidDataException("verification failed: " + need.Name + " is not weak after patching");
            }
        }

        DateTime originalWriteTime = File.GetLastWriteTimeUtc(path);
        string temporary = path + ".glibcxx-patch.tmp";
        File.Copy(path, temporary, overwrite: true); // keeps the file mode
        File.WriteAllBytes(temporary, image);
        File.SetLastWriteTimeUtc(temporary, originalWriteTime);
        File.Replace(temporary, path, null); // rename: never writes through a link
        return true;
    }

    private static string FindHostLibStdCxx()
    {
        var directories = new List<string>();
        string ldLibraryPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(ldLibraryPath))
        {
            directories.AddRange(ldLibraryPath.Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries));
        }

        directories.AddRange(new[]
        {
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64", "/lib64", "/usr/lib", "/lib",
        });
        return directories.Select(d => Path.Combine(d, "libstdc++.so.6")).FirstOrDefault(File.Exists);
    }

    /// <summary>The few parts of an ELF64 little-endian shared object that this patch reads.</summary>
    private sealed class ElfFile
    {
        private readonly byte[] _image;
        private readonly string _path;
        private readonly List<Section> _sections = new List<Section>();

        private ElfFile(byte[] image, string path)
        {
            _image = image;
            _path = path;
        }

        public sealed class VersionNeed
        {
            public string File = "";
            public string Name = "";
            public ushort Flags;
            public ushort VersionIndex;
            public int Offset; // of the Vernaux entry in the file
        }

        private sealed class Section
        {
            public uint Type;
            public long Offset;
            public long Size;
            public uint Link;
            public uint Info;
            public long EntrySize;
        }

        public static ElfFile Read(string path) => Parse(System.IO.File.ReadAllBytes(path), path);

        public static ElfFile Parse(byte[] image, string path)
        {
            var elf = new ElfFile(image, path);
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
            {
                throw new InvalidDataException("no ELF magic");
            }

            if (image[4] != 2 || image[5] != 1)
            {
                throw new InvalidDataException("only 64-bit little-endian ELF files are supported");
            }

            long sectionTable = (long)elf.U64(0x28);
            int sectionEntrySize = elf.U16(0x3a);
            int sectionCount = elf.U16(0x3c);
            if (sectionEntrySize < 64 || sectionTable <= 0 || sectionTable + (long)sectionEntrySize * sectionCount > image.Length)
            {
                throw new InvalidDataException("section header table out of bounds");
            }

            for (int i = 0; i < sectionCount; i++)
            {
                long at = sectionTable + (long)i * sectionEntrySize;
                var section = new Section
                {
                    Type = elf.U32(at + 4),
                    Offset = (long)elf.U64(at + 24),
                    Size = (long)elf.U64(at + 32),
                    Link = elf.U32(at + 40),
                    Info = elf.U32(at + 44),
                    EntrySize = (long)elf.U64(at + 56),
                };
                if (section.Type != 8 /* NOBITS */ && (section.Offset < 0 || section.Offset + section.Size > image.Length))
                {
                    throw new InvalidDataException("section " + i + " out of bounds");
                }

                elf._sections.Add(section);
            }

            return elf;
        }

        public HashSet<string> DefinedVersions()
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (Section section in _sections.Where(s => s.Type == SectionTypeVerDef))
            {
                Section strings = _sections[(int)section.Link];
                long at = section.Offset;
                for (uint n = 0; n < section.Info; n++)
                {
                    ushort auxCount = U16(at + 6);
                    uint auxOffset = U32(at + 12);
                    uint next = U32(at + 16);
                    if (auxCount > 0)
                    {
                        names.Add(String(strings, U32(at + auxOffset)));
                    }

                    if (next == 0)
                    {
                        break;
                    }

                    at += next;
                }
            }

            return names;
        }

        public List<VersionNeed> VersionNeeds()
        {
            var needs = new List<VersionNeed>();
            foreach (Section section in _sections.Where(s => s.Type == SectionTypeVerNeed))
            {
                Section strings = _sections[(int)section.Link];
                long at = section.Offset;
                for (uint n = 0; n < section.Info; n++)
                {
                    ushort count = U16(at + 2);
                    string file = String(strings, U32(at + 4));
                    long aux = at + U32(at + 8);
                    for (int a = 0; a < count; a++)
                    {
                        needs.Add(new VersionNeed
                        {
                            File = file,
                            Flags = U16(aux + 4),
                            VersionIndex = U16(aux + 6),
                            Name = String(strings, U32(aux + 8)),
                            Offset = checked((int)aux),
                        });
                        uint nextAux = U32(aux + 12);
                        if (nextAux == 0)
                        {
                            break;
                        }

                        aux += nextAux;
                    }

                    uint next = U32(at + 12);
                    if (next == 0)
                    {
                        break;
                    }

                    at += next;
                }
            }

            return needs;
        }

        public Dictionary<ushort, List<string>> UndefinedSymbolsByVersionIndex()
        {
            var result = new Dictionary<ushort, List<string>>();
            Section symbols = _sections.FirstOrDefault(s => s.Type == SectionTypeDynSym);
            Section versions = _sections.FirstOrDefault(s => s.Type == SectionTypeVerSym);
            if (symbols == null || versions == null || symbols.EntrySize == 0)
            {
                return result;
            }

            Section strings = _sections[(int)symbols.Link];
            long count = symbols.Size / symbols.EntrySize;
            for (long i = 0; i < count; i++)
            {
                long entry = symbols.Offset + i * symbols.EntrySize;
                ushort sectionIndex = U16(entry + 6);
                if (sectionIndex != 0)
                {
                    continue; // defined here, needs nothing
                }

                ushort version = (ushort)(U16(versions.Offset + 2 * i) & 0x7fff);
                if (!result.TryGetValue(version, out var names))
                {
                    names = new List<string>();
                    result[version] = names;
                }

                names.Add(String(strings, U32(entry)));
            }

            return result;
        }

        public void SetVersionNeedFlags(VersionNeed need, ushort flags)
        {
            _image[need.Offset + 4] = (byte)(flags & 0xff);
            _image[need.Offset + 5] = (byte)(flags >> 8);
            need.Flags = flags;
        }

        private string String(Section table, uint offset)
        {
            long start = table.Offset + offset;
            long end = start;
            long limit = table.Offset + table.Size;
            while (end < limit && _image[end] != 0)
            {
                end++;
            }

            if (start >= limit)
            {
                throw new InvalidDataException("string offset out of bounds in " + _path);
            }

            return Encoding.UTF8.GetString(_image, (int)start, (int)(end - start));
        }

        private ushort U16(long at) => at + 2 <= _image.Length ? BitConverter.ToUInt16(_image, (int)at) : throw Bounds(at);

        private uint U32(long at) => at + 4 <= _image.Length ? BitConverter.ToUInt32(_image, (int)at) : throw Bounds(at);

        private ulong U64(long at) => at + 8 <= _image.Length ? BitConverter.ToUInt64(_image, (int)at) : throw Bounds(at);

        private InvalidDataException Bounds(long at) => new InvalidDataException("read at offset " + at + " is past the end of " + _path);
    }
}
