package broker

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/devicesim"
	"github.com/snowsts/snowsts/pkg/devicesim/simtest"
	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/profile"
	"github.com/snowsts/snowsts/pkg/session"
)

const adminARN = "arn:aws:iam::123456789012:role/admin"

// setup writes a device profile for a fresh simulated device and returns a
// broker over temp files.
func setup(t *testing.T) (*Broker, *devicesim.Device) {
	t.Helper()
	sim := simtest.Start(t, simtest.Options{})
	dir := t.TempDir()
	paths := awsfile.Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	_, err := profile.WriteDevice(context.Background(), paths, profile.Device{
		Name: "snow", Endpoints: map[string]string{"sts": sim.URL, "iam": sim.URL},
		AccessKeyID: sim.Banner.AccessKeyID, SecretAccessKey: sim.Banner.SecretAccessKey,
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	return &Broker{Paths: paths, Cache: session.New(filepath.Join(dir, "cache"))}, sim.Device
}

func role() profile.Role {
	return profile.Role{DeviceProfile: "snow", RoleARN: adminARN, SessionName: "snowsts-test", DurationSeconds: 3600}
}

func TestAssumeThenCache(t *testing.T) {
	b, dev := setup(t)
	ctx := context.Background()
	p, err := b.LoadDevice(ctx, "snow")
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.Assume(ctx, p, role())
	if err != nil || s.Source != "device" {
		t.Fatalf("Assume = %+v, %v", s, err)
	}
	req := Request{Role: role(), MinRemaining: 15 * time.Minute}
	c, ok := b.Cached(p, req)
	if !ok || c.Credentials != s.Credentials || c.Source != "cache" {
		t.Fatalf("Cached = %+v, %v", c, ok)
	}
	g, err := b.Get(ctx, p, req)
	if err != nil || g.Credentials != s.Credentials {
		t.Fatalf("Get = %+v, %v", g, err)
	}
	// A session that must outlive its duration is fetched again.
	g, err = b.Get(ctx, p, Request{Role: role(), MinRemaining: 2 * time.Hour})
	if err != nil || g.Source != "device" || g.Credentials == s.Credentials {
		t.Fatalf("Get with a long MinRemaining = %+v, %v", g, err)
	}
	if n := dev.Calls("AssumeRole"); n != 2 {
		t.Fatalf("device served %d AssumeRole calls, want 2", n)
	}
}

func TestFromProfileAndCurrent(t *testing.T) {
	b, dev := setup(t)
	ctx := context.Background()
	if _, err := b.FromCurrent(ctx, time.Minute); !errors.Is(err, ErrNoSession) || exitcode.Of(err) != exitcode.Usage {
		t.Fatalf("FromCurrent without a session = %v", err)
	}
	p, _ := b.LoadDevice(ctx, "snow")
	s, err := b.Assume(ctx, p, role())
	if err != nil {
		t.Fatal(err)
	}
	_, err = profile.WriteAssumed(ctx, b.Paths, profile.Assumed{Target: "snow-admin", Role: role(), ServicesName: "snow", Credentials: s.Credentials}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Cache.SetCurrent(session.Current{TargetProfile: "snow-admin", DeviceProfile: "snow", RoleARN: adminARN, SessionName: "snowsts-test", DurationSeconds: 3600}); err != nil {
		t.Fatal(err)
	}
	got, err := b.FromCurrent(ctx, 15*time.Minute)
	if err != nil || got.Source != "profile" || got.Credentials != s.Credentials || got.Device.Endpoints["sts"] == "" {
		t.Fatalf("FromCurrent = %+v, %v", got, err)
	}
	// The profile is gone: the record still names the role, served from the cache.
	if _, err := profile.RemoveManaged(ctx, b.Paths, "snow-admin"); err != nil {
		t.Fatal(err)
	}
	got, err = b.FromCurrent(ctx, 15*time.Minute)
	if err != nil || got.Source != "cache" {
		t.Fatalf("FromCurrent after the profile was removed = %+v, %v", got, err)
	}
	if n := dev.Calls("AssumeRole"); n != 1 {
		t.Fatalf("device served %d AssumeRole calls, want 1", n)
	}
	if _, err := b.FromProfile(ctx, "snow", time.Minute); exitcode.Of(err) != exitcode.Config {
		t.Fatalf("the device profile served as an assumed one: %v", err)
	}
}
