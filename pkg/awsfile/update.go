package awsfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Doc{eol: "\n", finalNL: true}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	d, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return d, nil
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

	data, err := os.ReadFile(target)
	var info fs.FileInfo
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.Created = true
	case err != nil:
		return res, fmt.Errorf("update %s: %w", path, err)
	default:
		if info, err = os.Stat(target); err != nil {
			return res, fmt.Errorf("update %s: %w", path, err)
		}
	}
	d, err := parseMemoized(data, false)
	if err != nil {
		return res, fmt.Errorf("update %s: %w", path, err)
	}
	if err := fn(d); err != nil {
		return res, fmt.Errorf("update %s: %w", path, err)
	}
	out := d.Bytes()
	mode := fs.FileMode(0o600)
	if info != nil {
		mode = info.Mode().Perm()
	}
	res.Warning = exposureWarning(path, mode, d)
	if bytes.Equal(out, data) {
		res.Created = false
		return res, nil
	}
	if err := writeAtomic(target, out, mode, info); err != nil {
		return res, fmt.Errorf("update %s: %w", path, err)
	}
	res.Changed = true
	return res, nil
}

// secretKeys are the keys whose presence makes a readable file worth a warning.
var secretKeys = []string{"aws_secret_access_key", "aws_session_token", "aws_security_token"}

// exposureWarning warns when a file holding secrets can be read by group or others.
func exposureWarning(path string, mode fs.FileMode, d *Doc) string {
	if mode&0o044 == 0 {
		return ""
	}
	for i := range d.lines {
		if d.lines[i].kind != kKey {
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

// writeAtomic replaces target with data: a temp file in the same directory,
// fsynced, given mode (and the old owner when running as root), renamed over
// target, then the directory fsynced.
func writeAtomic(target string, data []byte, mode fs.FileMode, old fs.FileInfo) (err error) {
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
	if _, err = tmp.Write(data); err != nil {
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
