package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// File name suffixes in the cache directory. Only names of the form <id><suffix> (and the
// current-session file) are ever read or removed, so a cache directory shared with other
// files is safe.
const (
	entrySuffix = ".json"
	lockSuffix  = ".lock"
	tmpSuffix   = ".tmp"
)

// DefaultLockRetry is how often a waiting GetOrFetch retries the entry's lock.
const DefaultLockRetry = 15 * time.Millisecond

// ErrNotStored is wrapped by the error GetOrFetch returns when it fetched fresh credentials
// but could not write them to the cache. The entry it returns alongside is valid and may
// be used; the next call will fetch again.
var ErrNotStored = errors.New("session not stored in the cache")

// Cache is a directory of cached sessions. Its methods are safe for concurrent use by
// goroutines and by processes sharing the directory. A Cache must not be copied after
// first use.
type Cache struct {
	// Dir is the cache directory (see DefaultDir). It is created, 0700, on first write.
	Dir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LockTimeout, when positive, bounds how long GetOrFetch waits for another process's
	// refresh of the same session, in addition to the context's own deadline.
	LockTimeout time.Duration
	// LockRetry is the interval between attempts to take a busy lock; zero means
	// DefaultLockRetry.
	LockRetry time.Duration

	mu    sync.Mutex
	calls map[string]*call // in-process refreshes in flight, by id
}

// call is one in-process refresh that other goroutines may wait for.
type call struct {
	done  chan struct{}
	entry *Entry
	err   error
}

// New returns a Cache on dir with the real clock.
func New(dir string) *Cache { return &Cache{Dir: dir} }

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cache) entryPath(id string) string { return filepath.Join(c.Dir, id+entrySuffix) }
func (c *Cache) lockPath(id string) string  { return filepath.Join(c.Dir, id+lockSuffix) }

// Get returns k's cached entry when its credentials have more than minRemaining left, and
// (nil, false) otherwise. A missing, unreadable, corrupt, other-version or other-key file is
// a miss. Get takes no lock and makes no write: it is the warm path of credential-process.
func (c *Cache) Get(k Key, minRemaining time.Duration) (*Entry, bool) {
	info := k.Info()
	e, err := c.read(info.ID())
	if err != nil || e.Key != info || e.Remaining(c.now()) <= minRemaining {
		return nil, false
	}
	return e, true
}

// read reads and decodes the entry file of id.
func (c *Cache) read(id string) (*Entry, error) {
	b, err := readSmall(c.entryPath(id))
	if err != nil {
		return nil, err
	}
	return decodeEntry(b)
}

// Put stores e as k's entry, atomically, replacing any previous one. It stores a copy with
// Version and Key set from k, times in UTC whole seconds, and Obtained set to now when zero;
// it refuses an entry without complete credentials.
func (c *Cache) Put(k Key, e *Entry) error {
	_, err := c.put(k, e)
	return err
}

// put is Put returning the entry as stored.
func (c *Cache) put(k Key, e *Entry) (*Entry, error) {
	if e == nil {
		return nil, fmt.Errorf("store session: %w: nil entry", errInvalidEntry)
	}
	n := normalize(e)
	n.Version = FormatVersion
	n.Key = k.Info()
	if n.Obtained.IsZero() {
		n.Obtained = c.now().UTC().Truncate(time.Second)
	}
	if err := validate(n); err != nil {
		return nil, fmt.Errorf("store session: %w", err)
	}
	b, err := encodeEntry(n)
	if err != nil {
		return nil, fmt.Errorf("store session: %w", err)
	}
	if err := ensureDir(c.Dir); err != nil {
		return nil, fmt.Errorf("store session: %w", err)
	}
	if err := writeFileAtomic(c.entryPath(n.Key.ID()), b); err != nil {
		return nil, fmt.Errorf("store session: %w", err)
	}
	return n, nil
}

// GetOrFetch returns k's entry with more than minRemaining left, from the cache when it can
// and else from fetch, which it calls at most once across all the goroutines and processes
// that ask for k at the same time. cached is true when this call did not run fetch itself
// (the entry came from the file, or from a fetch another goroutine made).
//
// On a miss it takes k's lock (an flock on <id>.lock, waited for until ctx ends or
// LockTimeout passes), reads the file again (another process may have refreshed it in the
// meantime), and only then calls fetch and stores its entry. The fetched entry is returned
// even if it has less than minRemaining left (the device cannot do better; callers should
// keep minRemaining below the session duration). Afterwards expired entries and stale lock
// files are pruned, best effort.
//
// Errors: fetch's error is returned as it is (it carries the device's exit code), and
// goroutines waiting on the same fetch share it; a previous entry stays in place. When the
// lock cannot be had in time the error has exit code Failure and a hint naming the lock
// file (or Interrupted when ctx was cancelled). When storing fails, the fetched entry is
// returned with an error wrapping ErrNotStored.
func (c *Cache) GetOrFetch(ctx context.Context, k Key, minRemaining time.Duration, fetch func(ctx context.Context) (*Entry, error)) (e *Entry, cached bool, err error) {
	if e, ok := c.Get(k, minRemaining); ok {
		return e, true, nil
	}
	id := k.ID()
	for {
		cl, leader := c.join(id)
		if leader {
			cl.entry, cached, cl.err = c.refresh(ctx, k, minRemaining, fetch)
			c.finish(id, cl)
			if cl.entry != nil && !cached {
				c.Prune() // best effort, off the warm path
			}
			return cl.entry, cached, cl.err
		}
		select {
		case <-ctx.Done():
			return nil, false, fmt.Errorf("wait for session refresh: %w", ctx.Err())
		case <-cl.done:
		}
		switch {
		case cl.err == nil && cl.entry.Remaining(c.now()) > minRemaining:
			return cl.entry, true, nil
		case cl.err != nil && !errors.Is(cl.err, context.Canceled) && !errors.Is(cl.err, context.DeadlineExceeded):
			return nil, false, cl.err
		}
		// The leader's context ended, or its entry is too short for us: try ourselves.
		if ctx.Err() != nil {
			return nil, false, fmt.Errorf("wait for session refresh: %w", ctx.Err())
		}
	}
}

// join returns the in-process refresh of id, starting one (leader) if none is in flight.
func (c *Cache) join(id string) (cl *call, leader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.calls[id]; ok {
		return cl, false
	}
	if c.calls == nil {
		c.calls = make(map[string]*call)
	}
	cl = &call{done: make(chan struct{})}
	c.calls[id] = cl
	return cl, true
}

// finish publishes cl's result to its waiters.
func (c *Cache) finish(id string, cl *call) {
	c.mu.Lock()
	delete(c.calls, id)
	c.mu.Unlock()
	close(cl.done)
}

// refresh is GetOrFetch's cold path under k's cross-process lock.
func (c *Cache) refresh(ctx context.Context, k Key, minRemaining time.Duration, fetch func(ctx context.Context) (*Entry, error)) (e *Entry, cached bool, err error) {
	if err := ensureDir(c.Dir); err != nil {
		return nil, false, exitcode.New(exitcode.Config, fmt.Errorf("refresh session: %w", err),
			"set "+DirEnv+" to a writable private directory")
	}
	id := k.ID()
	lock, err := c.lock(ctx, id)
	if err != nil {
		return nil, false, err
	}
	defer lock.Unlock()

	if e, ok := c.Get(k, minRemaining); ok {
		return e, true, nil
	}
	fetched, err := fetchSafely(ctx, fetch)
	if err != nil {
		return nil, false, err
	}
	stored, err := c.put(k, fetched)
	if err != nil {
		if errors.Is(err, errInvalidEntry) {
			return nil, false, fmt.Errorf("refresh session: fetched %w", err)
		}
		n := normalize(fetched)
		n.Version, n.Key = FormatVersion, k.Info()
		return n, false, fmt.Errorf("%w: %w", ErrNotStored, err)
	}
	return stored, false, nil
}

// fetchSafely calls fetch and turns a nil entry without error into an error.
func fetchSafely(ctx context.Context, fetch func(ctx context.Context) (*Entry, error)) (*Entry, error) {
	e, err := fetch(ctx)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, fmt.Errorf("refresh session: %w: fetch returned no entry", errInvalidEntry)
	}
	return e, nil
}

// lock takes the cross-process lock of id, waiting until ctx ends or LockTimeout passes.
// After taking it, it checks that the lock file it holds is still the one at the path (Prune
// may have unlinked it in between; holding a lock on an unlinked file would let a second
// process in) and tries again if not.
func (c *Cache) lock(ctx context.Context, id string) (*flock.Flock, error) {
	if c.LockTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.LockTimeout)
		defer cancel()
	}
	retry := c.LockRetry
	if retry <= 0 {
		retry = DefaultLockRetry
	}
	path := c.lockPath(id)
	for {
		fl := flock.New(path, flock.SetPermissions(fileMode))
		ok, err := fl.TryLockContext(ctx, retry)
		if err != nil || !ok {
			return nil, lockError(path, ctx, err)
		}
		held, err1 := fl.Stat()
		cur, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, cur) {
			return fl, nil
		}
		fl.Unlock()
		if err1 != nil || (err2 != nil && !errors.Is(err2, os.ErrNotExist)) {
			if err1 == nil {
				err1 = err2
			}
			return nil, fmt.Errorf("lock session %s: %w", path, err1)
		}
	}
}

// lockError explains why the lock at path could not be taken.
func lockError(path string, ctx context.Context, err error) error {
	switch {
	case ctx.Err() == nil && err != nil:
		return exitcode.New(exitcode.Failure, fmt.Errorf("lock session %s: %w", path, err),
			"check that the session cache directory is writable")
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return exitcode.New(exitcode.Failure,
			fmt.Errorf("lock session %s: timed out waiting for another snowsts process: %w", path, ctx.Err()),
			"another snowsts process holds the lock "+path+"; retry, or remove the file if no snowsts is running")
	default: // cancelled: exit code Interrupted
		return fmt.Errorf("lock session %s: %w", path, ctx.Err())
	}
}
