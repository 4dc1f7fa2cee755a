using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;

namespace OnnxAudit.Onnx;

/// <summary>
/// A model file mapped read-only, for parsing without a second in-memory copy of its bytes. <see cref="Span"/> views the
/// whole file (the importer's structure walks read only field headers through it and skip tensor payloads, so few pages
/// become resident); <see cref="Sequence"/> presents the file to the protobuf parser as consecutive windows, each mapped
/// when the parser first asks for it and unmapped once the parser has moved two windows past it, so the file's pages
/// never accumulate in the process's resident set while the parsed model fills up. Not thread-safe; dispose after use.
/// </summary>
// why: issue 17: reading the file into a byte[] and parsing it held the bytes and the parsed model at once (vgg11_bn@224,
// 515 MB: 1.57 GB peak RSS for inspect); a whole-file mapping read by the parser still counts every page in RSS.
internal sealed unsafe class MappedModelFile : IDisposable
{
    /// <summary>Window size (a multiple of every platform's mapping granularity).</summary>
    internal const int WindowBytes = 16 << 20;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _whole;
    private readonly byte* _wholePtr;
    private readonly Window[] _windows;
    private bool _disposed;

    private MappedModelFile(MemoryMappedFile map, long length)
    {
        _map = map;
        Length = length;
        _whole = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* p = null;
        _whole.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _wholePtr = p + _whole.PointerOffset;
        var count = (int)((length + WindowBytes - 1) / WindowBytes);
        _windows = new Window[count];
        for (var i = 0; i < count; i++)
            _windows[i] = new Window(this, i, (long)i * WindowBytes, (int)Math.Min(WindowBytes, length - (long)i * WindowBytes));
    }

    /// <summary>File length in bytes (≤ 2 GiB − 1, checked by the caller).</summary>
    public long Length { get; }

    /// <summary>Maps an open, non-empty file of at most 2 GiB − 1 bytes (the stream stays open and owned by the caller).</summary>
    /// <exception cref="IOException">The file cannot be mapped.</exception>
    public static MappedModelFile Open(FileStream stream)
    {
        var length = stream.Length;
        var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        try
        {
            return new MappedModelFile(map, length);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>The whole file. Valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return new ReadOnlySpan<byte>(_wholePtr, (int)Length);
        }
    }

    /// <summary>The file as a sequence of windows, to be read front to back once (a window read again is mapped again).</summary>
    public ReadOnlySequence<byte> Sequence()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Segment? first = null, last = null;
        foreach (var w in _windows)
        {
            var s = new Segment(w.Memory, w.Offset);
            if (first is null) first = s;
            else last!.Append(s);
            last = s;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>SHA-256 of the file's bytes, read sequentially through <paramref name="stream"/> (page cache, not this mapping).</summary>
    public static byte[] Hash(FileStream stream)
    {
        stream.Position = 0;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) sha.AppendData(buffer, 0, read);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return sha.GetHashAndReset();
    }

    /// <summary>Unmaps every window before <paramref name="index"/> − 1.</summary>
    private void Entered(int index)
    {
        for (var i = 0; i < index - 1; i++) _windows[i].Unmap();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var w in _windows) w.Unmap();
        _whole.SafeMemoryMappedViewHandle.ReleasePointer();
        _whole.Dispose();
        _map.Dispose();
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void Append(Segment next) => Next = next;
    }

    /// <summary>One window: its memory is mapped lazily when a span of it is requested.</summary>
    private sealed class Window(MappedModelFile owner, int index, long offset, int length) : MemoryManager<byte>
    {
        private MemoryMappedViewAccessor? _view;
        private byte* _ptr;

        public long Offset { get; } = offset;

        // why: the base property calls GetSpan() for the length, which would map every window when the sequence is built.
        public override Memory<byte> Memory => CreateMemory(length);

        public override Span<byte> GetSpan()
        {
            ObjectDisposedException.ThrowIf(owner._disposed, owner);
            if (_view is null)
            {
                owner.Entered(index);
                _view = owner._map.CreateViewAccessor(Offset, length, MemoryMappedFileAccess.Read);
                byte* p = null;
                _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                _ptr = p + _view.PointerOffset;
            }
            return new Span<byte>(_ptr, length);
        }

        public void Unmap()
        {
            if (_view is null) return;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _view = null;
            _ptr = null;
        }

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException("mapped model windows are not pinned");

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing) => Unmap();
    }
}
