package session

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// staleTmpAge is how old a temp file must be before Prune takes it for a crashed writer's.
const staleTmpAge = time.Hour

// List returns every readable entry in the cache, expired ones included, sorted by
// profile, role, session name and expiration. Files that are not valid entries are
// skipped. A cache directory that does not exist yet is empty.
func (c *Cache) List() ([]*Entry, error) {
	ids, err := c.entryIDs()
	if err != nil {
		return nil, err
	}
	var out []*Entry
	for _, id := range ids {
		e, err := c.read(id)
		if err != nil || e.Key.ID() != id {
			continue
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Profile != b.Profile {
			return a.Profile < b.Profile
		}
		if a.Key.RoleARN != b.Key.RoleARN {
			return a.Key.RoleARN < b.Key.RoleARN
		}
		if a.Key.SessionName != b.Key.SessionName {
			return a.Key.SessionName < b.Key.SessionName
		}
		return a.Credentials.Expiration.Before(b.Credentials.Expiration)
	})
	return out, nil
}

// Remove deletes k's entry (a missing one is not an error), and its lock file unless a
// refresh holds it.
func (c *Cache) Remove(k Key) error { return c.removeID(k.ID()) }

// RemoveEntry deletes the entry e, as found by List.
func (c *Cache) RemoveEntry(e *Entry) error { return c.removeID(e.Key.ID()) }

// RemoveAll deletes every entry, every lock file no refresh holds and every temp file of
// the cache, and returns how many entries it deleted. It leaves the current-session
// record (see ClearCurrent), the directory and any file it did not create.
func (c *Cache) RemoveAll() (n int, err error) {
	names, err := c.names()
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, name := range names {
		switch id, kind := classify(name); kind {
		case entrySuffix:
			if err := c.removeID(id); err != nil {
				errs = append(errs, err)
			} else {
				n++
			}
		case lockSuffix:
			c.removeFreeLock(id, func() bool { return true })
		case tmpSuffix:
			_ = os.Remove(filepath.Join(c.Dir, name))
		}
	}
	return n, errors.Join(errs...)
}

// Prune deletes expired entries and files that are not valid entries, lock files whose
// entry is gone, and temp files left by crashed writers, and returns how many files it
// deleted. It skips any entry whose refresh is in progress. GetOrFetch calls it after each
// fetch; `clear` may call it too.
func (c *Cache) Prune() (n int, err error) {
	names, err := c.names()
	if err != nil {
		return 0, err
	}
	now := c.now()
	dead := func(id string) func() bool {
		return func() bool {
			e, err := c.read(id)
			if errors.Is(err, fs.ErrNotExist) {
				return true
			}
			return err != nil || e.Key.ID() != id || e.Remaining(now) <= 0
		}
	}
	present := make(map[string]bool)
	for _, name := range names {
		if id, kind := classify(name); kind == entrySuffix {
			present[id] = true
		}
	}
	for _, name := range names {
		id, kind := classify(name)
		switch {
		case kind == entrySuffix && dead(id)():
			n += c.removeFreeLock(id, dead(id))
		case kind == lockSuffix && !present[id]:
			n += c.removeFreeLock(id, dead(id))
		case kind == tmpSuffix:
			path := filepath.Join(c.Dir, name)
			if fi, err := os.Lstat(path); err == nil && now.Sub(fi.ModTime()) > staleTmpAge {
				if os.Remove(path) == nil {
					n++
				}
			}
		}
	}
	return n, nil
}

// removeID deletes the entry of id and, when it is free, its lock file.
func (c *Cache) removeID(id string) error {
	if err := os.Remove(c.entryPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove session %s: %w", id, err)
	}
	c.removeFreeLock(id, func() bool { return true })
	return nil
}

// removeFreeLock takes id's lock without waiting and, if it got it and gone() still holds
// under the lock, deletes the entry and the lock file. Unlinking the lock file while
// holding it is safe because lock() checks that the file it locked is still at the path.
// The lock is taken even when no lock file exists (creating one), so that nothing is
// deleted while a refresh writes. It returns how many files it deleted.
func (c *Cache) removeFreeLock(id string, gone func() bool) (n int) {
	if c.Dir == "" {
		return 0
	}
	path := c.lockPath(id)
	fl := flock.New(path, flock.SetPermissions(fileMode))
	if ok, err := fl.TryLock(); err != nil || !ok {
		return 0
	}
	defer fl.Unlock()
	if !gone() {
		return 0
	}
	if os.Remove(c.entryPath(id)) == nil {
		n++
	}
	if os.Remove(path) == nil {
		n++
	}
	return n
}

// names lists the cache directory; a missing directory is empty.
func (c *Cache) names() ([]string, error) {
	des, err := os.ReadDir(c.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read session cache: %w", err)
	}
	names := make([]string, 0, len(des))
	for _, de := range des {
		if de.Type().IsRegular() {
			names = append(names, de.Name())
		}
	}
	return names, nil
}

// entryIDs returns the ids of the entry files in the cache.
func (c *Cache) entryIDs() ([]string, error) {
	names, err := c.names()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, name := range names {
		if id, kind := classify(name); kind == entrySuffix {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// classify tells which of the cache's own files name is: an entry or a lock file (with
// its id), a temp file, or none of ours ("").
func classify(name string) (id, kind string) {
	for _, suf := range [...]string{entrySuffix, lockSuffix} {
		if base, ok := strings.CutSuffix(name, suf); ok && isID(base) {
			return base, suf
		}
	}
	if strings.HasSuffix(name, tmpSuffix) {
		if prefix, _, ok := strings.Cut(name, "."); ok && (isID(prefix) || prefix+".json" == currentFile) {
			return "", tmpSuffix
		}
	}
	return "", ""
}
