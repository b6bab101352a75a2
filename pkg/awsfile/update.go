package awsfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"github.com/gofrs/flock"
)

// LockTimeout bounds the wait for another process's lock when the context given
// to Update has no deadline.
const LockTimeout = 10 * time.Second

// Result says what Update did.
type Result struct {
	Changed bool   // the file was written
	Created bool   // the file did not exist before and was created
	Warning string // for the operator, e.g. a file with secrets readable by others
}

// Load reads and parses the file at path. A missing file is an empty Doc.
func Load(path string) (*Doc, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Doc{eol: "\n", finalNL: true}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	d, err := readDoc(f, true)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return d, nil
}

// readChunk is the size of the reads that compare a file with a remembered one.
const readChunk = 64 << 10

// readDoc reads and parses f. A file with the content of a remembered one is
// compared with it as it is read, so it costs no memory of its own; another
// is read into one string, which the Doc keeps, and remembered when remember
// is set.
func readDoc(f *os.File, remember bool) (*Doc, error) {
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	var buf []byte
	for _, d := range memo.candidates(size) {
		if buf == nil {
			buf = make([]byte, readChunk)
		}
		same, err := sameContent(f, d.read, buf)
		if err != nil {
			return nil, err
		}
		if same {
			return d.share(), nil
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
	}
	data, err := readAll(f, size)
	if err != nil {
		return nil, err
	}
	return parseMemoized(data, remember)
}

// readAll reads r to its end, expecting size bytes, into a string without
// copying them a second time.
func readAll(r io.Reader, size int64) (string, error) {
	b := make([]byte, 0, size+1) // +1: the read that sees the end
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	if len(b) == 0 {
		return "", nil
	}
	// b is not written again and nothing else refers to it: the string may
	// own its bytes (as strings.Builder does).
	return unsafe.String(&b[0], len(b)), nil
}

// sameContent reports whether reading r to its end gives s.
func sameContent(r io.Reader, s string, buf []byte) (bool, error) {
	for {
		n, err := io.ReadFull(r, buf)
		if n > len(s) || string(buf[:n]) != s[:n] {
			return false, nil
		}
		s = s[n:]
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return s == "", nil
		case err != nil:
			return false, err
		}
	}
}

// Update reads the file at path, lets fn edit it and writes the result back
// atomically, holding a lock on "<file>.lock" the whole time so that concurrent
// snowsts processes do not lose each other's edits. The wait for the lock ends
// with ctx, or after LockTimeout when ctx has no deadline. When fn returns an
// error or changes nothing, the file is left untouched (same bytes, same mtime).
// A symlink at path is followed and its target replaced; the link stays.
func Update(ctx context.Context, path string, fn func(d *Doc) error) (Result, error) {
	var res Result
	target, err := resolveLinks(path)
	if err != nil {
		return res, fmt.Errorf("update %s: %w", path, err)
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, fmt.Errorf("update %s: create directory: %w", path, err)
	}
	unlock, err := lock(ctx, target)
	if err != nil {
		return res, fmt.Errorf("update %s: %w", path, err)
	}
	defer unlock()

	removeStaleTemps(target, time.Now())

	d, info, err := readForUpdate(target)
	if err != nil {
		return res, fmt.Errorf("update %s: %w", path, err)
	}
	res.Created = info == nil
	if err := fn(d); err != nil {
		return res, fmt.Errorf("update %s: %w", path, err)
	}
	mode := fs.FileMode(0o600)
	if info != nil {
		mode = info.Mode().Perm()
	}
	res.Warning = exposureWarning(path, mode, d)
	if d.equal(d.read) {
		res.Created = false
		return res, nil
	}
	if err := writeAtomic(target, d, mode, info); err != nil {
		return res, fmt.Errorf("update %s: %w", path, err)
	}
	res.Changed = true
	return res, nil
}

// readForUpdate reads and parses target; a missing file is an empty Doc and
// a nil FileInfo.
func readForUpdate(target string) (*Doc, fs.FileInfo, error) {
	f, err := os.Open(target)
	if errors.Is(err, fs.ErrNotExist) {
		return &Doc{eol: "\n", finalNL: true}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	// Not remembered: the first edit would copy it.
	d, err := readDoc(f, false)
	if err != nil {
		return nil, nil, err
	}
	return d, info, nil
}

// staleTempAge is how old a temp file of writeAtomic must be before Update,
// holding the lock, takes it for the leftover of a writer that was killed.
const staleTempAge = time.Minute

// removeStaleTemps removes the temp files that writeAtomic left next to
// target (".<name>.tmp-<digits>", regular files) older than staleTempAge: a
// writer killed mid-write leaves one as big as the file. The caller holds
// the lock, so no live writer of this snowsts version is writing one; an
// older temp file of a writer that is still running (a clock set back) would
// only make that writer's rename fail. Nothing else is touched, and failures
// are ignored: the leftovers cost space, not correctness.
func removeStaleTemps(target string, now time.Time) {
	dir, prefix := filepath.Dir(target), "."+filepath.Base(target)+".tmp-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !isTempName(e.Name(), prefix) || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > staleTempAge {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// isTempName reports whether name is prefix followed by the digits that
// os.CreateTemp puts in place of "*".
func isTempName(name, prefix string) bool {
	digits, ok := strings.CutPrefix(name, prefix)
	if !ok || digits == "" {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// secretKeys are the keys whose presence makes a readable file worth a warning.
var secretKeys = []string{"aws_secret_access_key", "aws_session_token", "aws_security_token"}

// exposureWarning warns when a file holding secrets can be read by group or others.
func exposureWarning(path string, mode fs.FileMode, d *Doc) string {
	if mode&0o044 == 0 {
		return ""
	}
	for i := range d.lines {
		if d.lines[i].kind() != kKey {
			continue
		}
		for _, k := range secretKeys {
			if strings.EqualFold(d.key(i), k) {
				return fmt.Sprintf("%s holds secrets and is readable by group or others (mode %04o); run chmod 600 %s", path, mode, path)
			}
		}
	}
	return ""
}

// resolveLinks follows symlinks at path, even a dangling last one, and returns
// the file that is to be replaced.
func resolveLinks(path string) (string, error) {
	p := path
	for range 40 {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		t, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = t
	}
	return "", errors.New("too many levels of symbolic links")
}

// lock takes the exclusive lock on target's sibling lock file.
func lock(ctx context.Context, target string) (func(), error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, LockTimeout)
		defer cancel()
	}
	lockPath := target + ".lock"
	fl := flock.New(lockPath, flock.SetPermissions(0o600))
	ok, err := fl.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil || !ok {
		_ = fl.Close()
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("lock %s: still held by another process (%w)", lockPath, context.DeadlineExceeded)
		}
		return nil, fmt.Errorf("lock %s: %w", lockPath, err)
	}
	return func() { _ = fl.Unlock() }, nil
}

// writeAtomic replaces target with d's content: a temp file in the same
// directory, written through one buffer (the runs of lines d holds as read go
// to the file without a copy), fsynced, given mode (and the old owner when
// running as root), renamed over target, then the directory fsynced.
func writeAtomic(target string, d *Doc, mode fs.FileMode, old fs.FileInfo) (err error) {
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, min(readChunk, len(d.read)+4096))
	for p := range d.pieces {
		if _, err = w.WriteString(p); err != nil {
			return fmt.Errorf("write temp file: %w", err)
		}
	}
	if err = w.Flush(); err != nil {
		return fmt.Errorf("write temp file: %w", err)
	}
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("chmod temp file: %w", err)
	}
	if old != nil {
		if err = keepOwner(tmp, old); err != nil {
			return fmt.Errorf("chown temp file: %w", err)
		}
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("sync temp file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("close temp file: %w", err)
	}
	if err = os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("replace file: %w", err)
	}
	if df, derr := os.Open(dir); derr == nil {
		serr := df.Sync()
		_ = df.Close()
		if serr != nil {
			return fmt.Errorf("sync directory: %w", serr)
		}
	}
	return nil
}
