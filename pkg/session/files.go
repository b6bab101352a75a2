package session

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// DirEnv names the environment variable that overrides the cache directory.
const DirEnv = "SNOWSTS_CACHE_DIR"

// DefaultDir returns the cache directory: $SNOWSTS_CACHE_DIR (made absolute, so that every
// process finds the same directory whatever its working directory), else
// <user cache dir>/snowsts, where the user cache dir follows os.UserCacheDir's rules but
// reads the environment through getenv.
func DefaultDir(getenv func(string) string) (string, error) {
	if d := getenv(DirEnv); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			return "", exitcode.New(exitcode.Config, fmt.Errorf("resolve %s: %w", DirEnv, err), "")
		}
		return abs, nil
	}
	base, err := userCacheDir(getenv)
	if err != nil {
		return "", exitcode.New(exitcode.Config, fmt.Errorf("find the session cache directory: %w", err),
			"set "+DirEnv+" to a private directory")
	}
	return filepath.Join(base, "snowsts"), nil
}

// userCacheDir is os.UserCacheDir with the environment passed in.
func userCacheDir(getenv func(string) string) (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%LocalAppData% is not defined")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Caches"), nil
		}
		return "", errors.New("$HOME is not defined")
	case "plan9":
		if h := getenv("home"); h != "" {
			return filepath.Join(h, "lib", "cache"), nil
		}
		return "", errors.New("$home is not defined")
	default:
		if d := getenv("XDG_CACHE_HOME"); d != "" {
			if !filepath.IsAbs(d) {
				return "", errors.New("path in $XDG_CACHE_HOME is relative")
			}
			return d, nil
		}
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, ".cache"), nil
		}
		return "", errors.New("neither $XDG_CACHE_HOME nor $HOME are defined")
	}
}

// Modes of what the cache creates.
const (
	dirMode  os.FileMode = 0o700
	fileMode os.FileMode = 0o600
)

// ensureDir creates dir (and parents) if missing. The directory it creates itself is made
// exactly 0700 whatever the umask; an existing directory is used as it is (snowsts must not
// chmod a directory the user chose, such as a shared one; `doctor` reports loose modes),
// since every file in it is 0600 anyway.
func ensureDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("create session cache directory: %w", err)
	}
	if err := os.Chmod(dir, dirMode); err != nil {
		return fmt.Errorf("create session cache directory: %w", err)
	}
	return nil
}

// maxFileSize bounds what is read from the cache directory: an entry is a few KiB.
const maxFileSize = 64 << 10

// errTooLarge reports a cache file beyond maxFileSize.
var errTooLarge = errors.New("file too large for a session cache entry")

// readSmall reads a whole small file with one open and as few reads as it takes, without
// the stat os.ReadFile makes: this is the warm path.
func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 0, 4096)
	for {
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > maxFileSize {
			return nil, errTooLarge
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// writeFileAtomic replaces path with data so that a concurrent reader sees either the old
// file or the new one, never a mix: a 0600 temp file in the same directory, written,
// fsynced and renamed over path; then the directory is fsynced so the rename survives a
// crash. A failure leaves no temp file behind.
func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, base+".*"+tmpSuffix) // CreateTemp makes it 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(fileMode); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir flushes a directory's entries; best effort (not every platform allows it).
func syncDir(dir string) {
	if dir == "" {
		dir = "."
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
