package store

import (
	"encoding/binary"
	"fmt"
	"sync"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// walVFS is the name of the SQLite VFS that every file database of the store opens through:
// the operating system's own VFS, with the writes to write-ahead logs gathered.
//
// SQLite writes a transaction to the log one frame at a time, and each frame in two writes,
// its 24-byte header and then its page: two system calls per page that the transaction
// changed. A system call costs about as much for 24 bytes as for 4 KB (2.5 µs either way on a
// small virtual machine), and under a stream of event adds these calls took about a fifth of
// the writer's time. Here the writes of a log that follow one another in the file are
// gathered in a buffer, which reaches the file in one call when it is full, when the page of
// the transaction's commit frame has been written, and before anything else is done with the
// file (a read, a sync, a truncation, its size asked, a file control, a write elsewhere, its
// closing). In BenchmarkSustainedIngest (400 events, 8 clients) the process's pwrite calls
// went from 289,702 to 29,866.
//
// This keeps what readers rely on: SQLite publishes a transaction to the other connections
// (in the log's shared-memory index) only after it has written all its frames, commit frame
// last, and by then they are in the file. The one write SQLite makes between the commit frame
// and the publication is of frame headers alone, when it rewrites the checksums of frames
// that the transaction changed in place: a header that does not follow the buffer is written
// at once. Frames that a transaction spills to the log before its commit are invisible to
// other connections, and this connection's own reads of the log find them in the file, since
// a read writes out the buffer first. So when a commit returns, its frames are with the
// operating system, as without the buffer: a crash of the process loses no commit
// (TestWALBufferCrash, TestWALBufferCommitOnDisk).
//
// The methods are Go functions in SQLite's method tables, as modernc.org/sqlite's own VFS
// package installs them.
const walVFS = "cairn-wal"

// walBufferSize bounds the gathered writes of one log, to what SQLite's own VFS writes in one
// call: it keeps 17 bits of a write's size (128 KB less a byte), about 31 frames of 4 KB pages.
// Tests make it smaller, so that the buffer fills at every place in a transaction.
var walBufferSize = 1<<17 - 1

// walFrameHeaderSize is the size of a frame's header in a write-ahead log; only frame headers
// are written with exactly this size. Bytes 4 to 8 of a header hold, for a commit frame, the
// size of the database in pages after the commit, and 0 for every other frame.
const walFrameHeaderSize = 24

var (
	walVFSOnce sync.Once
	walVFSErr  error
	// walBase is the VFS that walVFS wraps, and walVFSStruct walVFS itself: memory that
	// SQLite keeps pointers to, which must stay alive and in place.
	walBase      uintptr
	walVFSStruct *sqlite3.Tsqlite3_vfs
	walVFSName   []byte

	// walMethods maps the methods of each kind of file that the base VFS opens for a log to
	// the same methods with the buffered ones in their place.
	walMethodsMu sync.Mutex
	walMethods   = map[uintptr]*walMethodTable{}

	// walFiles maps each open log file (SQLite's sqlite3_file pointer) to its buffer.
	walFiles sync.Map
)

type walMethodTable struct {
	orig    *sqlite3.Tsqlite3_io_methods
	wrapped sqlite3.Tsqlite3_io_methods
}

// walFile is the state of one open log file of one connection. SQLite uses a connection's
// files from one goroutine at a time.
type walFile struct {
	orig *sqlite3.Tsqlite3_io_methods
	// size is the buffer's capacity, walBufferSize when the file was opened.
	size int
	buf  []byte
	// off is the file offset of buf[0].
	off int64
	// commitNext says the header of a commit frame was the last write: its page, the next
	// write, ends the transaction.
	commitNext bool
}

// registerWALVFS registers walVFS with SQLite, once.
func registerWALVFS() error {
	walVFSOnce.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		walBase = sqlite3.Xsqlite3_vfs_find(tls, 0)
		if walBase == 0 {
			walVFSErr = fmt.Errorf("no default SQLite VFS")
			return
		}
		v := *(*sqlite3.Tsqlite3_vfs)(ptr(walBase))
		walVFSName = append([]byte(walVFS), 0)
		v.FzName = uintptr(unsafe.Pointer(&walVFSName[0]))
		v.FpNext = 0
		*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&v.FxOpen)) = walOpen
		walVFSStruct = &v
		if rc := sqlite3.Xsqlite3_vfs_register(tls, uintptr(unsafe.Pointer(walVFSStruct)), 0); rc != sqlite3.SQLITE_OK {
			walVFSErr = fmt.Errorf("register the SQLite VFS %s: code %d", walVFS, rc)
		}
	})
	return walVFSErr
}

// ptr turns an address that SQLite gave into a pointer.
func ptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

func walOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	base := (*sqlite3.Tsqlite3_vfs)(ptr(walBase))
	open := *(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&base.FxOpen))
	rc := open(tls, walBase, zName, pFile, flags, pOutFlags)
	if rc != sqlite3.SQLITE_OK || flags&sqlite3.SQLITE_OPEN_WAL == 0 {
		return rc
	}
	file := (*sqlite3.Tsqlite3_file)(ptr(pFile))
	if file.FpMethods == 0 {
		return rc
	}
	t := walMethodsFor(file.FpMethods)
	walFiles.Store(pFile, &walFile{orig: t.orig, size: walBufferSize})
	file.FpMethods = uintptr(unsafe.Pointer(&t.wrapped))
	return rc
}

// walMethodsFor returns the buffered methods for files whose methods are orig.
func walMethodsFor(orig uintptr) *walMethodTable {
	walMethodsMu.Lock()
	defer walMethodsMu.Unlock()
	if t, ok := walMethods[orig]; ok {
		return t
	}
	t := &walMethodTable{orig: (*sqlite3.Tsqlite3_io_methods)(ptr(orig))}
	t.wrapped = *t.orig
	m := &t.wrapped
	*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxClose)) = walClose
	*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxRead)) = walRead
	*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxWrite)) = walWrite
	*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&m.FxTruncate)) = walTruncate
	*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxSync)) = walSync
	*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&m.FxFileSize)) = walFileSize
	*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&m.FxFileControl)) = walFileControl
	walMethods[orig] = t
	return t
}

func walState(pFile uintptr) *walFile {
	f, _ := walFiles.Load(pFile)
	return f.(*walFile)
}

// flushed returns the state of pFile with its buffer written out, and SQLite's code for
// that write.
func flushed(tls *libc.TLS, pFile uintptr) (*walFile, int32) {
	f := walState(pFile)
	return f, f.flush(tls, pFile)
}

// write writes n bytes at p to the file at off, with the base VFS's method.
func (f *walFile) write(tls *libc.TLS, pFile, p uintptr, n int32, off int64) int32 {
	write := *(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&f.orig.FxWrite))
	return write(tls, pFile, p, n, off)
}

// flush writes the buffer out.
func (f *walFile) flush(tls *libc.TLS, pFile uintptr) int32 {
	f.commitNext = false
	if len(f.buf) == 0 {
		return sqlite3.SQLITE_OK
	}
	rc := f.write(tls, pFile, uintptr(unsafe.Pointer(&f.buf[0])), int32(len(f.buf)), f.off)
	f.buf = f.buf[:0]
	return rc
}

func walWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	f := walState(pFile)
	n := int(iAmt)
	data := unsafe.Slice((*byte)(ptr(zBuf)), n)
	// The page of a commit frame ends its transaction, even when the buffer has to be
	// written out before the page fits (flush clears commitNext).
	commit := f.commitNext
	appends := len(f.buf) > 0 && iOfst == f.off+int64(len(f.buf)) && len(f.buf)+n <= f.size
	if len(f.buf) > 0 && !appends {
		if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	f.commitNext = n == walFrameHeaderSize && binary.BigEndian.Uint32(data[4:8]) != 0
	switch {
	case appends:
		f.buf = append(f.buf, data...)
		if commit {
			return f.flush(tls, pFile)
		}
		return sqlite3.SQLITE_OK
	case n > f.size || n == walFrameHeaderSize || commit:
		// A frame header that does not follow the buffer is written at once: SQLite writes
		// headers alone when it rewrites the checksums of frames it changed in place, after
		// the commit frame and before it publishes the commit.
		return f.write(tls, pFile, zBuf, iAmt, iOfst)
	}
	if f.buf == nil {
		// Only the connection that writes needs a buffer; most only read.
		f.buf = make([]byte, 0, f.size)
	}
	f.off = iOfst
	f.buf = append(f.buf, data...)
	return sqlite3.SQLITE_OK
}

func walRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	f, rc := flushed(tls, pFile)
	if rc != sqlite3.SQLITE_OK {
		return rc
	}
	read := *(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&f.orig.FxRead))
	return read(tls, pFile, zBuf, iAmt, iOfst)
}

func walTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	f, rc := flushed(tls, pFile)
	if rc != sqlite3.SQLITE_OK {
		return rc
	}
	truncate := *(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&f.orig.FxTruncate))
	return truncate(tls, pFile, size)
}

func walSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	f, rc := flushed(tls, pFile)
	if rc != sqlite3.SQLITE_OK {
		return rc
	}
	sync := *(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&f.orig.FxSync))
	return sync(tls, pFile, flags)
}

func walFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	f, rc := flushed(tls, pFile)
	if rc != sqlite3.SQLITE_OK {
		return rc
	}
	size := *(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&f.orig.FxFileSize))
	return size(tls, pFile, pSize)
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	f, rc := flushed(tls, pFile)
	if rc != sqlite3.SQLITE_OK {
		return rc
	}
	control := *(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&f.orig.FxFileControl))
	return control(tls, pFile, op, pArg)
}

func walClose(tls *libc.TLS, pFile uintptr) int32 {
	f := walState(pFile)
	rc := f.flush(tls, pFile)
	walFiles.Delete(pFile)
	closeFile := *(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&f.orig.FxClose))
	if crc := closeFile(tls, pFile); rc == sqlite3.SQLITE_OK {
		rc = crc
	}
	return rc
}
