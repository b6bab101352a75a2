package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/profile"
	"github.com/snowsts/snowsts/pkg/session"
)

// assumeInto does what `snowsts assume` does: AssumeRole, the profile, and
// (when current) the current record.
func assumeInto(t *testing.T, b *Broker, target string, r profile.Role, current bool) *Session {
	t.Helper()
	ctx := context.Background()
	dev, err := b.LoadDevice(ctx, r.DeviceProfile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.Assume(ctx, dev, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := profile.WriteAssumed(ctx, b.Paths, profile.Assumed{Target: target, Role: r, ServicesName: dev.ServicesName,
		Credentials: s.Credentials}, false); err != nil {
		t.Fatal(err)
	}
	if current {
		if err := b.Cache.SetCurrent(session.Current{TargetProfile: target, DeviceProfile: r.DeviceProfile, RoleARN: r.RoleARN,
			SessionName: r.SessionName, DurationSeconds: int32(r.DurationSeconds)}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// appendFile adds hand-written text to a file.
func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func TestSessions(t *testing.T) {
	b, _ := setup(t)
	list, err := b.Sessions()
	if err != nil || len(list) != 0 {
		t.Fatalf("empty: %v, %v", list, err)
	}
	dev, err := b.LoadDevice(context.Background(), "snow")
	if err != nil {
		t.Fatal(err)
	}
	s := assumeInto(t, b, "snow-admin", role(), true)
	short := role()
	short.DurationSeconds = 900
	if _, err := b.Get(context.Background(), dev, Request{Role: short}); err != nil {
		t.Fatal(err)
	}
	list, err = b.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Profile, Source string
		Duration        int
		Current         bool
	}
	var got []row
	for _, si := range list {
		got = append(got, row{si.Profile, si.Source, si.DurationSeconds, si.Current})
		if si.RoleARN != adminARN || si.SessionName != "snowsts-test" || si.DeviceProfile != "snow" || si.Endpoint != dev.Endpoints["sts"] {
			t.Errorf("row %+v", si)
		}
		if left := si.Remaining(time.Now()); left <= 0 || left > time.Hour {
			t.Errorf("%s %s: remaining %s", si.Source, si.Profile, left)
		}
		// No secret in any field.
		text := fmt.Sprintf("%+v", si)
		for _, secret := range []string{s.Credentials.SecretAccessKey, s.Credentials.SessionToken, s.Credentials.AccessKeyID, dev.SecretAccessKey} {
			if strings.Contains(text, secret) {
				t.Errorf("row %s shows a secret", text)
			}
		}
	}
	want := []row{
		{"snow-admin", SourceProfile, 3600, true},
		{"snow", SourceCache, 900, false},
		{"snow", SourceCache, 3600, true},
	}
	slices.SortStableFunc(got[1:], func(a, b row) int { return a.Duration - b.Duration })
	if !slices.Equal(got, want) {
		t.Errorf("rows\n got %+v\nwant %+v", got, want)
	}
	if !list[0].Expiration.Equal(s.Credentials.Expiration.Truncate(time.Second)) {
		t.Errorf("profile expiration %s, want %s", list[0].Expiration, s.Credentials.Expiration)
	}

	// A damaged current record loses the marks, not the list.
	if err := os.WriteFile(b.Cache.Dir+"/current.json", []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err = b.Sessions()
	if err != nil || len(list) != 3 {
		t.Fatalf("with a damaged record: %d rows, %v", len(list), err)
	}
	for _, si := range list {
		if si.Current {
			t.Errorf("marked current without a record: %+v", si)
		}
	}
}

func TestSessionsProfileWithoutCredentials(t *testing.T) {
	b, _ := setup(t)
	assumeInto(t, b, "ops", role(), false)
	// The credentials section is gone by hand; the config section remains.
	cfg, err := os.ReadFile(b.Paths.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(cfg, []byte("[ops]"))
	if i < 0 {
		t.Fatal("no [ops] in the credentials file")
	}
	if err := os.WriteFile(b.Paths.Credentials, cfg[:i], 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := b.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Profile != "ops" || !list[0].Expiration.IsZero() || list[0].Remaining(time.Now()) != 0 {
		t.Errorf("rows %+v", list)
	}
}

func TestSessionsMalformedFile(t *testing.T) {
	b, _ := setup(t)
	appendFile(t, b.Paths.Config, "[profile broken\n")
	if _, err := b.Sessions(); exitcode.Of(err) != exitcode.Config {
		t.Errorf("error %v, want exit code Config", err)
	}
}

func TestClear(t *testing.T) {
	b, _ := setup(t)
	ctx := context.Background()
	// Hand-written sections around the device profile.
	appendFile(t, b.Paths.Config, "\n# my own\n[profile hand]\nregion = us-east-1 ; keep\n\n[default]\noutput=json\n")
	appendFile(t, b.Paths.Credentials, "\n[hand]\naws_access_key_id = AKIAHAND\naws_secret_access_key = hand\n")
	cfgBefore, _ := os.ReadFile(b.Paths.Config)
	credsBefore, _ := os.ReadFile(b.Paths.Credentials)
	sameFiles := func(t *testing.T) {
		t.Helper()
		cfg, _ := os.ReadFile(b.Paths.Config)
		creds, _ := os.ReadFile(b.Paths.Credentials)
		if !bytes.Equal(cfg, cfgBefore) {
			t.Errorf("config changed:\n%s\nwant\n%s", cfg, cfgBefore)
		}
		if !bytes.Equal(creds, credsBefore) {
			t.Errorf("credentials changed:\n%s\nwant\n%s", creds, credsBefore)
		}
	}

	other := role()
	other.SessionName = "other"
	assumeInto(t, b, "b", other, false)
	assumeInto(t, b, "a", role(), true)
	if _, err := profile.WriteProcess(ctx, b.Paths, profile.Process{Name: "proc", ServicesName: "snow",
		Command: "/usr/bin/snowsts credential-process --role-arn " + adminARN}, false); err != nil {
		t.Fatal(err)
	}

	// Refusals change nothing.
	for _, name := range []string{"hand", "snow", "default", "nosuch"} {
		c, err := b.ClearProfile(ctx, name)
		if exitcode.Of(err) != exitcode.Config || len(c.Profiles) != 0 || c.Sessions != 0 || c.Current {
			t.Errorf("ClearProfile(%s) = %+v, %v; want a Config refusal", name, c, err)
		}
		if name == "nosuch" && !errors.Is(err, profile.ErrNoProfile) {
			t.Errorf("ClearProfile(nosuch): %v, want ErrNoProfile", err)
		}
	}

	// The current session: its profile, its one cache entry, the record.
	c, err := b.ClearCurrent(ctx)
	if err != nil || !slices.Equal(c.Profiles, []string{"a"}) || c.Sessions != 1 || !c.Current {
		t.Fatalf("ClearCurrent = %+v, %v", c, err)
	}
	if _, err := b.Cache.Current(); !errors.Is(err, session.ErrNoCurrent) {
		t.Errorf("record still there: %v", err)
	}
	if c, err := b.ClearCurrent(ctx); err != nil || len(c.Profiles)+c.Sessions != 0 || c.Current {
		t.Errorf("second ClearCurrent = %+v, %v", c, err)
	}

	// A named profile and the cache entry of its role.
	c, err = b.ClearProfile(ctx, "b")
	if err != nil || !slices.Equal(c.Profiles, []string{"b"}) || c.Sessions != 1 || c.Current {
		t.Fatalf("ClearProfile(b) = %+v, %v", c, err)
	}
	if list, _ := b.Cache.List(); len(list) != 0 {
		t.Errorf("cache entries left: %d", len(list))
	}

	// --all takes the process profile, new sessions and the record.
	assumeInto(t, b, "a", role(), true)
	c, err = b.ClearAll(ctx)
	if err != nil || !slices.Equal(c.Profiles, []string{"proc", "a"}) || c.Sessions != 1 || !c.Current {
		t.Fatalf("ClearAll = %+v, %v", c, err)
	}
	sameFiles(t)
	if names, _ := os.ReadDir(b.Cache.Dir); len(names) != 0 {
		t.Errorf("cache dir not empty: %v", names)
	}
	// The device profile still works.
	if _, err := b.LoadDevice(ctx, "snow"); err != nil {
		t.Errorf("device profile: %v", err)
	}
}

func TestClearCurrentProfileGone(t *testing.T) {
	b, _ := setup(t)
	ctx := context.Background()
	assumeInto(t, b, "a", role(), true)
	// Removed by hand, or never there: the record and the sessions still go.
	if _, err := profile.RemoveManaged(ctx, b.Paths, "a"); err != nil {
		t.Fatal(err)
	}
	c, err := b.ClearProfile(ctx, "a")
	if err != nil || len(c.Profiles) != 0 || c.Sessions != 1 || !c.Current {
		t.Fatalf("ClearProfile(a) = %+v, %v", c, err)
	}
}

func TestClearCurrentKeepsHandWritten(t *testing.T) {
	b, _ := setup(t)
	ctx := context.Background()
	// The current record names a profile the user has since written by hand.
	if err := b.Cache.SetCurrent(session.Current{TargetProfile: "hand", DeviceProfile: "snow", RoleARN: adminARN,
		SessionName: "x", DurationSeconds: 900}); err != nil {
		t.Fatal(err)
	}
	appendFile(t, b.Paths.Config, "[profile hand]\nregion = snow\n")
	before, _ := os.ReadFile(b.Paths.Config)
	c, err := b.ClearCurrent(ctx)
	if err != nil || !slices.Equal(c.Kept, []string{"hand"}) || len(c.Profiles) != 0 || !c.Current {
		t.Fatalf("ClearCurrent = %+v, %v", c, err)
	}
	if after, _ := os.ReadFile(b.Paths.Config); !bytes.Equal(before, after) {
		t.Errorf("config changed")
	}
}

// TestClearProcessProfile: a credential_process profile records its role
// session, so clearing it removes that session's cache entries too.
func TestClearProcessProfile(t *testing.T) {
	b, _ := setup(t)
	ctx := context.Background()
	p, err := b.LoadDevice(ctx, "snow")
	if err != nil {
		t.Fatal(err)
	}
	r := role()
	r.SessionName = "process"
	if _, err := b.Get(ctx, p, Request{Role: r, MinRemaining: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := profile.WriteProcess(ctx, b.Paths, profile.Process{Name: "proc", ServicesName: "snow",
		Command: "/usr/bin/snowsts credential-process --role-arn " + adminARN, Role: r}, false); err != nil {
		t.Fatal(err)
	}
	c, err := b.ClearProfile(ctx, "proc")
	if err != nil || !slices.Equal(c.Profiles, []string{"proc"}) || c.Sessions != 1 {
		t.Fatalf("ClearProfile(proc) = %+v, %v; want the profile and its one session", c, err)
	}
	if _, ok := b.Cached(p, Request{Role: r, MinRemaining: time.Minute}); ok {
		t.Fatal("the process profile's session is still cached")
	}
}
