package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// The device's access key id and the temporary credentials used throughout: realistic
// shapes, so that a leak would be recognisable.
const (
	deviceKeyID = "AKIAIOSFODNN7EXAMPLE"
	secret      = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	token       = "FwoGZXIvYXdzEBYaDExampleSessionToken+/="
)

var t0 = time.Date(2026, 12, 4, 15, 5, 0, 0, time.UTC)

func testKey() Key {
	return Key{
		Endpoint:        "http://192.0.2.10:7078",
		AccessKeyID:     deviceKeyID,
		RoleARN:         "arn:aws:iam::123456789012:role/ops/admin",
		SessionName:     "snowsts-alice",
		DurationSeconds: 3600,
	}
}

// testEntry returns an entry whose credentials expire at exp.
func testEntry(akid string, exp time.Time) *Entry {
	return &Entry{
		Profile:        "snow",
		AssumedRoleARN: "arn:aws:sts::123456789012:assumed-role/admin/snowsts-alice",
		AssumedRoleID:  "AROA3XFRBF535EXAMPLE:snowsts-alice",
		Credentials: Credentials{
			AccessKeyID:     akid,
			SecretAccessKey: secret,
			SessionToken:    token,
			Expiration:      exp,
		},
		Obtained: exp.Add(-time.Hour),
	}
}

// clock is a settable clock safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }
func (c *clock) set(t time.Time)  { c.ns.Store(t.UnixNano()) }
func (c *clock) now() time.Time   { return time.Unix(0, c.ns.Load()).UTC() }

func newTestCache(t *testing.T, now time.Time) (*Cache, *clock) {
	t.Helper()
	clk := newClock(now)
	c := New(filepath.Join(t.TempDir(), "cache"))
	c.Now = clk.now
	return c, clk
}

// countingFetch returns a fetch that counts its calls and returns an entry expiring at exp.
func countingFetch(n *atomic.Int32, exp time.Time, delay time.Duration) func(context.Context) (*Entry, error) {
	return func(ctx context.Context) (*Entry, error) {
		i := n.Add(1)
		time.Sleep(delay)
		return testEntry(fmt.Sprintf("ASIAFETCH%011d", i), exp), nil
	}
}

func TestKeyID(t *testing.T) {
	base := testKey()
	id := base.ID()
	if !isID(id) {
		t.Fatalf("ID() = %q, want %d lowercase hex digits", id, idLen)
	}
	if again := testKey().ID(); again != id {
		t.Errorf("ID() not stable: %q then %q", id, again)
	}
	if info := base.Info().ID(); info != id {
		t.Errorf("Info().ID() = %q, want Key.ID() %q", info, id)
	}
	tests := []struct {
		name   string
		change func(*Key)
	}{
		{"endpoint", func(k *Key) { k.Endpoint = "https://192.0.2.10:7089" }},
		{"access key", func(k *Key) { k.AccessKeyID = "AKIAI44QH8DHBEXAMPLE" }},
		{"role", func(k *Key) { k.RoleARN = "arn:aws:iam::123456789012:role/ops/reader" }},
		{"session name", func(k *Key) { k.SessionName = "snowsts-bob" }},
		{"duration", func(k *Key) { k.DurationSeconds = 900 }},
		{"field boundary", func(k *Key) { k.Endpoint += "a"; k.RoleARN = k.RoleARN[1:] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := testKey()
			tt.change(&k)
			if got := k.ID(); got == id {
				t.Errorf("ID() unchanged (%q) after changing the %s", got, tt.name)
			}
		})
	}
}

func TestKeyNeverStoresAccessKeyID(t *testing.T) {
	c, _ := newTestCache(t, t0)
	k := testKey()
	if strings.Contains(strings.ToUpper(k.ID()), deviceKeyID) || strings.Contains(k.ID(), deviceKeyID) {
		t.Fatalf("ID %q contains the access key id", k.ID())
	}
	if fp := KeyFingerprint(deviceKeyID); len(fp) != 16 || strings.Contains(fp, deviceKeyID) {
		t.Fatalf("KeyFingerprint = %q, want 16 hex digits without the key id", fp)
	}
	if err := c.Put(k, testEntry("ASIATEMP", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	des, err := os.ReadDir(c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if strings.Contains(de.Name(), deviceKeyID) {
			t.Errorf("file name %q contains the access key id", de.Name())
		}
		b, err := os.ReadFile(filepath.Join(c.Dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(deviceKeyID)) {
			t.Errorf("file %s contains the device's access key id:\n%s", de.Name(), b)
		}
	}
}

func TestGetBoundaries(t *testing.T) {
	exp := t0.Add(time.Hour)
	tests := []struct {
		name         string
		store        bool
		now          time.Time
		minRemaining time.Duration
		wantHit      bool
	}{
		{"no file", false, t0, 0, false},
		{"plenty left", true, t0, 15 * time.Minute, true},
		{"one second more than min", true, exp.Add(-15*time.Minute - time.Second), 15 * time.Minute, true},
		{"exactly min left", true, exp.Add(-15 * time.Minute), 15 * time.Minute, false},
		{"less than min left", true, exp.Add(-14 * time.Minute), 15 * time.Minute, false},
		{"zero min, one second left", true, exp.Add(-time.Second), 0, true},
		{"zero min, at expiry", true, exp, 0, false},
		{"expired", true, exp.Add(time.Minute), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, clk := newTestCache(t, t0)
			if tt.store {
				if err := c.Put(testKey(), testEntry("ASIASTORED", exp)); err != nil {
					t.Fatal(err)
				}
			}
			clk.set(tt.now)
			e, ok := c.Get(testKey(), tt.minRemaining)
			if ok != tt.wantHit {
				t.Fatalf("Get hit = %v, want %v", ok, tt.wantHit)
			}
			if ok && (e.Credentials.AccessKeyID != "ASIASTORED" || !e.Credentials.Expiration.Equal(exp)) {
				t.Errorf("Get = %+v, want the stored entry", e.Credentials.AccessKeyID)
			}
			if !ok && e != nil {
				t.Errorf("Get miss returned an entry")
			}
		})
	}
}

func TestPutStoresContractForm(t *testing.T) {
	c, _ := newTestCache(t, t0)
	ist := time.FixedZone("IST", 5*3600+1800)
	e := testEntry("ASIAFORM", time.Date(2026, 12, 4, 21, 35, 0, 999_000_000, ist))
	e.Obtained = time.Time{}
	if err := c.Put(testKey(), e); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(c.entryPath(testKey().ID()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"Expiration": "2026-12-04T16:05:00Z"`,
		`"Obtained": "2026-12-04T15:05:00Z"`,
		`"Version": 1`,
		`"AccessKeyFingerprint": "` + KeyFingerprint(deviceKeyID) + `"`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("stored file lacks %s:\n%s", want, b)
		}
	}
	got, ok := c.Get(testKey(), 0)
	if !ok {
		t.Fatal("Get after Put missed")
	}
	if want := time.Date(2026, 12, 4, 16, 5, 0, 0, time.UTC); got.Credentials.Expiration != want {
		t.Errorf("Expiration = %v, want %v (UTC, whole seconds, never rounded up)", got.Credentials.Expiration, want)
	}
	if e.Version != 0 || e.Obtained != (time.Time{}) {
		t.Errorf("Put modified the caller's entry: %+v", e)
	}
}

func TestPutRefusesIncomplete(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Entry)
	}{
		{"no access key id", func(e *Entry) { e.Credentials.AccessKeyID = "" }},
		{"no secret", func(e *Entry) { e.Credentials.SecretAccessKey = "" }},
		{"no token", func(e *Entry) { e.Credentials.SessionToken = "" }},
		{"no expiration", func(e *Entry) { e.Credentials.Expiration = time.Time{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCache(t, t0)
			e := testEntry("ASIAINCOMPLETE", t0.Add(time.Hour))
			tt.change(e)
			err := c.Put(testKey(), e)
			if err == nil {
				t.Fatal("Put accepted an incomplete entry")
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), token) {
				t.Errorf("error reveals a secret: %v", err)
			}
			if _, err := os.Stat(c.entryPath(testKey().ID())); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("incomplete entry was written (stat: %v)", err)
			}
		})
	}
}

func TestCorruptFileIsMissAndReplaced(t *testing.T) {
	exp := t0.Add(time.Hour)
	valid, err := encodeEntry(func() *Entry {
		e := testEntry("ASIAOLD", exp)
		e.Version, e.Key = FormatVersion, testKey().Info()
		return e
	}())
	if err != nil {
		t.Fatal(err)
	}
	otherKey := testKey()
	otherKey.RoleARN = "arn:aws:iam::123456789012:role/other"
	otherFile, err := encodeEntry(func() *Entry {
		e := testEntry("ASIAOTHER", exp)
		e.Version, e.Key = FormatVersion, otherKey.Info()
		return e
	}())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		content []byte
	}{
		{"empty", nil},
		{"garbage", []byte("\x00\xff not json " + secret)},
		{"truncated", valid[:len(valid)/2]},
		{"json null", []byte("null")},
		{"json array", []byte(`[1,2,3]`)},
		{"wrong version", bytes.Replace(valid, []byte(`"Version": 1`), []byte(`"Version": 2`), 1)},
		{"no version", bytes.Replace(valid, []byte(`"Version": 1,`), nil, 1)},
		{"other key inside", otherFile},
		{"bad expiration", bytes.Replace(valid, []byte(`"Expiration": "2026-12-04T16:05:00Z"`), []byte(`"Expiration": "tomorrow"`), 1)},
		{"no secret", bytes.Replace(valid, []byte(`"SecretAccessKey": "`+secret+`"`), []byte(`"SecretAccessKey": ""`), 1)},
		{"wrong type", bytes.Replace(valid, []byte(`"Version": 1`), []byte(`"Version": "1"`), 1)},
		{"huge", append(bytes.Repeat([]byte(" "), maxFileSize), valid...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCache(t, t0)
			if err := ensureDir(c.Dir); err != nil {
				t.Fatal(err)
			}
			path := c.entryPath(testKey().ID())
			if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, ok := c.Get(testKey(), 0); ok {
				t.Fatal("Get hit on a corrupt file")
			}
			if _, err := decodeEntry(tt.content); err == nil && tt.name != "other key inside" && tt.name != "huge" {
				t.Error("decodeEntry accepted it")
			} else if err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), token)) {
				t.Errorf("decode error reveals a secret: %v", err)
			}
			var calls atomic.Int32
			e, cached, err := c.GetOrFetch(context.Background(), testKey(), 0, countingFetch(&calls, exp, 0))
			if err != nil || cached || calls.Load() != 1 {
				t.Fatalf("GetOrFetch = cached %v, err %v, %d fetches; want a fetch", cached, err, calls.Load())
			}
			got, ok := c.Get(testKey(), 0)
			if !ok || got.Credentials.AccessKeyID != e.Credentials.AccessKeyID {
				t.Fatalf("corrupt file not replaced: hit %v", ok)
			}
		})
	}
}

func TestModes(t *testing.T) {
	c, _ := newTestCache(t, t0)
	c.Dir = filepath.Join(c.Dir, "nested", "snowsts")
	var calls atomic.Int32
	if _, _, err := c.GetOrFetch(context.Background(), testKey(), 0, countingFetch(&calls, t0.Add(time.Hour), 0)); err != nil {
		t.Fatal(err)
	}
	if err := c.SetCurrent(Current{TargetProfile: "snow-admin"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want os.FileMode
	}{
		{"dir", c.Dir, os.ModeDir | 0o700},
		{"entry", c.entryPath(testKey().ID()), 0o600},
		{"lock", c.lockPath(testKey().ID()), 0o600},
		{"current", c.currentPath(), 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fi, err := os.Stat(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != tt.want {
				t.Errorf("mode = %v, want %v", fi.Mode(), tt.want)
			}
		})
	}
}

func TestAtomicWrites(t *testing.T) {
	c, _ := newTestCache(t, t0)
	k := testKey()
	if err := c.Put(k, testEntry("ASIAWRITE0", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var misses atomic.Int32
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, ok := c.Get(k, 0); !ok {
					misses.Add(1)
				}
			}
		}()
	}
	for i := range 100 {
		// Entries of varying size, so a torn write would show.
		e := testEntry(fmt.Sprintf("ASIAWRITE%d", i), t0.Add(time.Hour))
		e.Credentials.SessionToken = strings.Repeat("T", 100+37*i)
		if err := c.Put(k, e); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if n := misses.Load(); n != 0 {
		t.Errorf("%d reads missed while entries were rewritten: writes are not atomic", n)
	}
	des, err := os.ReadDir(c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(des) != 1 || des[0].Name() != k.ID()+".json" {
		var names []string
		for _, de := range des {
			names = append(names, de.Name())
		}
		t.Errorf("cache dir holds %v, want only the entry (no temp files left)", names)
	}
}

func TestFetchFailureKeepsOldEntry(t *testing.T) {
	c, clk := newTestCache(t, t0)
	exp := t0.Add(time.Hour)
	if err := c.Put(testKey(), testEntry("ASIAOLD", exp)); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(c.entryPath(testKey().ID()))
	if err != nil {
		t.Fatal(err)
	}
	clk.set(exp.Add(-10 * time.Minute)) // valid, but below a 15m minimum
	errDevice := exitcode.New(exitcode.Unreachable, errors.New("assume role: connection refused"), "")
	_, _, err = c.GetOrFetch(context.Background(), testKey(), 15*time.Minute, func(context.Context) (*Entry, error) {
		return nil, errDevice
	})
	if !errors.Is(err, errDevice) || exitcode.Of(err) != exitcode.Unreachable {
		t.Fatalf("err = %v (code %d), want the fetch's error", err, exitcode.Of(err))
	}
	after, err := os.ReadFile(c.entryPath(testKey().ID()))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("entry changed after a failed fetch (err %v)", err)
	}
	if e, ok := c.Get(testKey(), 0); !ok || e.Credentials.AccessKeyID != "ASIAOLD" {
		t.Errorf("old entry no longer served with a lower minimum")
	}
}

func TestGetOrFetchNilEntry(t *testing.T) {
	c, _ := newTestCache(t, t0)
	_, _, err := c.GetOrFetch(context.Background(), testKey(), 0, func(context.Context) (*Entry, error) { return nil, nil })
	if err == nil {
		t.Fatal("GetOrFetch accepted a nil entry from fetch")
	}
}

func TestSingleFlightInProcess(t *testing.T) {
	c, _ := newTestCache(t, t0)
	var calls atomic.Int32
	fetch := countingFetch(&calls, t0.Add(time.Hour), 50*time.Millisecond)
	const n = 64
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	var fetched atomic.Int32
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			e, cached, err := c.GetOrFetch(context.Background(), testKey(), 15*time.Minute, fetch)
			errs[i] = err
			if err == nil {
				got[i] = e.Credentials.AccessKeyID
				if !cached {
					fetched.Add(1)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if c := calls.Load(); c != 1 {
		t.Errorf("fetch called %d times, want 1", c)
	}
	if f := fetched.Load(); f != 1 {
		t.Errorf("%d callers report cached=false, want 1", f)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if got[i] != got[0] {
			t.Errorf("caller %d got %q, caller 0 got %q", i, got[i], got[0])
		}
	}
}

func TestSharedFailureInProcess(t *testing.T) {
	c, _ := newTestCache(t, t0)
	var calls atomic.Int32
	errDevice := errors.New("assume role: AccessDenied")
	fetch := func(context.Context) (*Entry, error) {
		calls.Add(1)
		time.Sleep(50 * time.Millisecond)
		return nil, errDevice
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := c.GetOrFetch(context.Background(), testKey(), 0, fetch); errors.Is(err, errDevice) {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 16 {
		t.Errorf("%d of 16 callers got the device's error", failed.Load())
	}
	// Callers that arrive while a fetch is in flight share its failure; a few may start
	// after it ended, but nowhere near one fetch each.
	if n := calls.Load(); n > 4 {
		t.Errorf("fetch called %d times for 16 concurrent callers", n)
	}
}

func TestFollowerSurvivesLeaderCancel(t *testing.T) {
	c, _ := newTestCache(t, t0)
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	inFetch := make(chan struct{})
	var calls atomic.Int32
	leaderDone := make(chan error, 1)
	go func() {
		_, _, err := c.GetOrFetch(leaderCtx, testKey(), 0, func(ctx context.Context) (*Entry, error) {
			calls.Add(1)
			close(inFetch)
			<-ctx.Done()
			return nil, ctx.Err()
		})
		leaderDone <- err
	}()
	<-inFetch
	followerDone := make(chan error, 1)
	var followerAKID string
	go func() {
		e, _, err := c.GetOrFetch(context.Background(), testKey(), 0, countingFetch(&calls, t0.Add(time.Hour), 0))
		if err == nil {
			followerAKID = e.Credentials.AccessKeyID
		}
		followerDone <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the follower join the leader's call
	cancelLeader()
	if err := <-leaderDone; exitcode.Of(err) != exitcode.Interrupted {
		t.Errorf("leader: err %v, code %d, want Interrupted", err, exitcode.Of(err))
	}
	if err := <-followerDone; err != nil {
		t.Fatalf("follower failed with the leader's cancellation: %v", err)
	}
	if followerAKID == "" || calls.Load() != 2 {
		t.Errorf("follower got %q after %d fetches, want its own fetch", followerAKID, calls.Load())
	}
}

func TestLockWaitBoundedByContext(t *testing.T) {
	c, _ := newTestCache(t, t0)
	if err := ensureDir(c.Dir); err != nil {
		t.Fatal(err)
	}
	path := c.lockPath(testKey().ID())
	holder := flock.New(path)
	if err := holder.Lock(); err != nil {
		t.Fatal(err)
	}
	defer holder.Unlock()

	tests := []struct {
		name     string
		ctx      func() (context.Context, context.CancelFunc)
		lockWait time.Duration
		wantCode int
		wantHint bool
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}, 0, exitcode.Failure, true},
		{"LockTimeout", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Minute)
		}, 200 * time.Millisecond, exitcode.Failure, true},
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, 0, exitcode.Interrupted, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.LockTimeout = tt.lockWait
			ctx, cancel := tt.ctx()
			defer cancel()
			var calls atomic.Int32
			start := time.Now()
			_, _, err := c.GetOrFetch(ctx, testKey(), 0, countingFetch(&calls, t0.Add(time.Hour), 0))
			elapsed := time.Since(start)
			if err == nil {
				t.Fatal("GetOrFetch succeeded while another holder had the lock")
			}
			if elapsed < 190*time.Millisecond || elapsed > time.Second {
				t.Errorf("gave up after %v, want about 200ms", elapsed)
			}
			if calls.Load() != 0 {
				t.Errorf("fetch called without the lock")
			}
			if !strings.Contains(err.Error(), "lock") || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the lock %s", err, path)
			}
			if code := exitcode.Of(err); code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			if hint := exitcode.HintOf(err); tt.wantHint != strings.Contains(hint, "another snowsts process holds the lock "+path) {
				t.Errorf("hint %q", hint)
			}
		})
	}
}

// TestLockFollowsPath checks that a waiter that ends up holding a lock file someone
// unlinked (as Prune does) does not treat it as the lock, which would let two refreshes in.
func TestLockFollowsPath(t *testing.T) {
	c, _ := newTestCache(t, t0)
	c.LockRetry = 5 * time.Millisecond
	if err := ensureDir(c.Dir); err != nil {
		t.Fatal(err)
	}
	path := c.lockPath(testKey().ID())
	old := flock.New(path)
	if err := old.Lock(); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	done := make(chan error, 1)
	go func() {
		_, _, err := c.GetOrFetch(context.Background(), testKey(), 0, countingFetch(&calls, t0.Add(time.Hour), 0))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // the waiter has opened the old lock file
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	replacement := flock.New(path) // another process creates and takes a new lock file
	if err := replacement.Lock(); err != nil {
		t.Fatal(err)
	}
	old.Unlock()
	time.Sleep(100 * time.Millisecond)
	if n := calls.Load(); n != 0 {
		t.Fatalf("fetch ran while the lock at the path was held by another")
	}
	replacement.Unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("fetch called %d times, want 1", calls.Load())
	}
}

func TestNotStored(t *testing.T) {
	c, _ := newTestCache(t, t0)
	if err := ensureDir(c.Dir); err != nil {
		t.Fatal(err)
	}
	// A directory where the entry file should be makes the rename fail.
	if err := os.Mkdir(c.entryPath(testKey().ID()), 0o700); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	e, cached, err := c.GetOrFetch(context.Background(), testKey(), 0, countingFetch(&calls, t0.Add(time.Hour), 0))
	if !errors.Is(err, ErrNotStored) {
		t.Fatalf("err = %v, want ErrNotStored", err)
	}
	if e == nil || cached || e.Credentials.SecretAccessKey != secret || e.Key != testKey().Info() {
		t.Errorf("entry = %+v, cached %v; want the fetched entry", e, cached)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error reveals the secret")
	}
	des, _ := os.ReadDir(c.Dir)
	for _, de := range des {
		if strings.HasSuffix(de.Name(), tmpSuffix) {
			t.Errorf("temp file %s left behind", de.Name())
		}
	}
}

func TestPrune(t *testing.T) {
	c, clk := newTestCache(t, t0)
	keyFor := func(role string) Key { k := testKey(); k.RoleARN = "arn:aws:iam::123456789012:role/" + role; return k }
	put := func(role string, exp time.Time) {
		if err := c.Put(keyFor(role), testEntry("ASIA"+strings.ToUpper(role), exp)); err != nil {
			t.Fatal(err)
		}
	}
	put("expired", t0.Add(-time.Minute))
	put("valid", t0.Add(time.Hour))
	put("busy", t0.Add(-time.Minute)) // expired, but a refresh holds its lock
	busy := flock.New(c.lockPath(keyFor("busy").ID()))
	if err := busy.Lock(); err != nil {
		t.Fatal(err)
	}
	defer busy.Unlock()
	write := func(name, content string, age time.Duration) {
		p := filepath.Join(c.Dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		mt := clk.now().Add(-age)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	orphanLock := keyFor("gone").ID() + lockSuffix
	write(orphanLock, "", 0)
	validLock := keyFor("valid").ID() + lockSuffix
	write(validLock, "", 0)
	corrupt := keyFor("corrupt").ID() + entrySuffix
	write(corrupt, "{", 0)
	staleTmp := keyFor("valid").ID() + ".json.123.tmp"
	write(staleTmp, "partial", 2*time.Hour)
	freshTmp := keyFor("valid").ID() + ".json.456.tmp"
	write(freshTmp, "being written", time.Minute)
	foreign := "notes.txt"
	write(foreign, "mine", 48*time.Hour)
	if err := c.SetCurrent(Current{TargetProfile: "snow-valid"}); err != nil {
		t.Fatal(err)
	}

	n, err := c.Prune()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		want bool
	}{
		{"expired entry", keyFor("expired").ID() + entrySuffix, false},
		{"expired entry's lock", keyFor("expired").ID() + lockSuffix, false},
		{"valid entry", keyFor("valid").ID() + entrySuffix, true},
		{"valid entry's lock", validLock, true},
		{"busy expired entry", keyFor("busy").ID() + entrySuffix, true},
		{"busy lock", keyFor("busy").ID() + lockSuffix, true},
		{"orphan lock", orphanLock, false},
		{"corrupt entry", corrupt, false},
		{"stale temp", staleTmp, false},
		{"fresh temp", freshTmp, true},
		{"foreign file", foreign, true},
		{"current session", currentFile, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := os.Stat(filepath.Join(c.Dir, tt.file))
			if exists := err == nil; exists != tt.want {
				t.Errorf("%s exists = %v, want %v", tt.file, exists, tt.want)
			}
		})
	}
	if n != 6 {
		t.Errorf("Prune removed %d files, want 6", n)
	}
}

func TestListAndRemove(t *testing.T) {
	c, _ := newTestCache(t, t0)
	if got, err := c.List(); err != nil || len(got) != 0 {
		t.Fatalf("List on a missing dir = %v, %v; want empty", got, err)
	}
	roles := []string{"zeta", "alpha", "mid"}
	for _, r := range roles {
		k := testKey()
		k.RoleARN = "arn:aws:iam::123456789012:role/" + r
		if err := c.Put(k, testEntry("ASIA"+r, t0.Add(-time.Minute))); err != nil { // expired: still listed
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(c.Dir, strings.Repeat("a", idLen)+entrySuffix), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, e := range got {
		arns = append(arns, e.Key.RoleARN[strings.LastIndex(e.Key.RoleARN, "/")+1:])
	}
	if want := "alpha mid zeta"; strings.Join(arns, " ") != want {
		t.Errorf("List roles = %v, want %s (sorted, corrupt skipped)", arns, want)
	}
	if err := c.RemoveEntry(got[0]); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.List(); len(got) != 2 {
		t.Errorf("after RemoveEntry, List has %d entries, want 2", len(got))
	}
	if err := c.Remove(testKey()); err != nil {
		t.Errorf("Remove of a missing entry: %v", err)
	}
	if err := c.SetCurrent(Current{TargetProfile: "snow-mid"}); err != nil {
		t.Fatal(err)
	}
	n, err := c.RemoveAll()
	if err != nil || n != 3 {
		t.Errorf("RemoveAll = %d, %v; want 3 (two entries and the corrupt file), nil", n, err)
	}
	if got, _ := c.List(); len(got) != 0 {
		t.Errorf("after RemoveAll, List has %d entries", len(got))
	}
	if _, err := c.Current(); err != nil {
		t.Errorf("RemoveAll removed the current-session record: %v", err)
	}
}

func TestCurrent(t *testing.T) {
	c, _ := newTestCache(t, t0)
	if cur, err := c.Current(); !errors.Is(err, ErrNoCurrent) || cur != nil {
		t.Fatalf("Current on an empty cache = %v, %v; want ErrNoCurrent", cur, err)
	}
	want := Current{TargetProfile: "snow-admin", DeviceProfile: "snow",
		RoleARN: "arn:aws:iam::123456789012:role/ops/admin", SessionName: "snowsts-alice", DurationSeconds: 3600}
	if err := c.SetCurrent(want); err != nil {
		t.Fatal(err)
	}
	got, err := c.Current()
	if err != nil || *got != want {
		t.Fatalf("Current = %+v, %v; want %+v", got, err, want)
	}
	if err := c.SetCurrent(Current{}); err == nil {
		t.Error("SetCurrent accepted a record without a target profile")
	}
	if err := os.WriteFile(c.currentPath(), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Current(); exitcode.Of(err) != exitcode.Config || exitcode.HintOf(err) == "" {
		t.Errorf("damaged record: err %v, code %d; want Config with a hint", err, exitcode.Of(err))
	}
	if err := c.ClearCurrent(); err != nil {
		t.Fatal(err)
	}
	if err := c.ClearCurrent(); err != nil {
		t.Errorf("ClearCurrent twice: %v", err)
	}
	if _, err := c.Current(); !errors.Is(err, ErrNoCurrent) {
		t.Errorf("after ClearCurrent: %v", err)
	}
}

func TestProcessOutput(t *testing.T) {
	exp := time.Date(2026, 12, 4, 17, 5, 0, 500_000_000, time.FixedZone("CET", 3600))
	tests := []struct {
		name    string
		creds   Credentials
		want    string
		wantErr bool
	}{
		{"contract form", Credentials{"ASIAEXAMPLE", secret, token, exp},
			`{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"` + secret + `","SessionToken":"` + token + `","Expiration":"2026-12-04T16:05:00Z"}` + "\n", false},
		{"no html escaping", Credentials{"ASIA<&>", "s<&>", "t<&>", exp},
			`{"Version":1,"AccessKeyId":"ASIA<&>","SecretAccessKey":"s<&>","SessionToken":"t<&>","Expiration":"2026-12-04T16:05:00Z"}` + "\n", false},
		{"quotes escaped", Credentials{"ASIA", `s"\`, "t", exp},
			`{"Version":1,"AccessKeyId":"ASIA","SecretAccessKey":"s\"\\","SessionToken":"t","Expiration":"2026-12-04T16:05:00Z"}` + "\n", false},
		{"no secret", Credentials{"ASIA", "", token, exp}, "", true},
		{"no key id", Credentials{"", secret, token, exp}, "", true},
		{"no expiration", Credentials{"ASIA", secret, token, time.Time{}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ProcessOutput(tt.creds)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), token) {
					t.Errorf("error reveals a secret: %v", err)
				}
				return
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDefaultDir(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"override", map[string]string{DirEnv: "/srv/snowsts", "HOME": "/home/u"}, "/srv/snowsts", false},
		{"relative override made absolute", map[string]string{DirEnv: "cache"}, filepath.Join(cwd, "cache"), false},
		{"xdg", map[string]string{"XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"}, "/x/cache/snowsts", false},
		{"home", map[string]string{"HOME": "/home/u"}, "/home/u/.cache/snowsts", false},
		{"relative xdg", map[string]string{"XDG_CACHE_HOME": "x", "HOME": "/home/u"}, "", true},
		{"nothing", map[string]string{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultDir(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if exitcode.Of(err) != exitcode.Config {
					t.Errorf("exit code %d, want Config", exitcode.Of(err))
				}
				return
			}
			if got != tt.want {
				t.Errorf("DefaultDir = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzEntryDecode(f *testing.F) {
	k := testKey()
	good := testEntry("ASIAFUZZ", t0.Add(time.Hour))
	good.Version, good.Key = FormatVersion, k.Info()
	valid, err := encodeEntry(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)-10])
	f.Add([]byte(`{"Version":1}`))
	f.Add([]byte(`{"Version":1,"Credentials":{"AccessKeyId":"a","SecretAccessKey":"b","SessionToken":"c","Expiration":"2026-12-04T16:05:00+01:00"}}`))
	f.Add([]byte("null"))
	f.Add([]byte{0xff, 0xfe, 0})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err == nil {
			// Valid: complete, and stable through a store and a reload.
			if validate(e) != nil {
				t.Fatalf("decodeEntry returned an invalid entry")
			}
			again, err := encodeEntry(e)
			if err != nil {
				t.Fatal(err)
			}
			e2, err := decodeEntry(again)
			if err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			want := e.Credentials
			want.Expiration = want.Expiration.Truncate(time.Second)
			if e2.Credentials != want || e2.Key != e.Key {
				t.Fatalf("round trip changed the entry")
			}
		}
		// Through the cache: a hit only for a valid entry of this key with time left.
		c := &Cache{Dir: dir, Now: func() time.Time { return t0 }}
		if err := os.WriteFile(c.entryPath(k.ID()), b, 0o600); err != nil {
			t.Fatal(err)
		}
		got, ok := c.Get(k, 0)
		wantHit := err == nil && e.Key == k.Info() && e.Remaining(t0) > 0
		if ok != wantHit {
			t.Fatalf("Get hit = %v, want %v", ok, wantHit)
		}
		if ok && got.Credentials.SecretAccessKey == "" {
			t.Fatal("hit without a secret")
		}
	})
}

func BenchmarkGetWarm(b *testing.B) {
	c := New(b.TempDir())
	k := testKey()
	if err := c.Put(k, testEntry("ASIAWARM", time.Now().Add(time.Hour))); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Get(k, 15*time.Minute); !ok {
			b.Fatal("miss")
		}
	}
}

func TestKeySecretChangesTheSession(t *testing.T) {
	k := Key{Endpoint: "http://192.0.2.1:7078", AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "right-secret", RoleARN: "arn:aws:iam::123456789012:role/a", SessionName: "s1", DurationSeconds: 900}
	wrong := k
	wrong.SecretAccessKey = "wrong-secret"
	if k.ID() == wrong.ID() {
		t.Fatal("a wrong secret shares the session of the right one")
	}
	info := k.Info()
	for _, v := range []string{info.AccessKeyFingerprint, info.ID()} {
		if strings.Contains(v, "right-secret") || strings.Contains(v, "AKIAEXAMPLE") {
			t.Fatalf("%q reveals the key", v)
		}
	}
}
