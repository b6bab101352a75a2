package profile

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

func tempPaths(t *testing.T) awsfile.Paths {
	dir := t.TempDir()
	return awsfile.Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
}

func writeDevice(t *testing.T, paths awsfile.Paths) Device {
	t.Helper()
	d := Device{Name: "snow", Endpoints: EndpointsFor("192.0.2.10", false), AccessKeyID: "AKIAEXAMPLE0000",
		SecretAccessKey: "secret/value+1", CABundle: "/etc/snow/device.pem"}
	if _, err := WriteDevice(context.Background(), paths, d, false); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDeviceProfileReadsBackThroughTheSDK checks the shape with the AWS SDK's
// own loader: what snowsts writes is what every AWS tool will read.
func TestDeviceProfileReadsBackThroughTheSDK(t *testing.T) {
	paths := tempPaths(t)
	want := writeDevice(t, paths)
	p, err := device.LoadProfile(context.Background(), device.Files{Config: paths.Config, Credentials: paths.Credentials}, "snow")
	if err != nil {
		t.Fatal(err)
	}
	if p.Region != "snow" || p.ServicesName != "snow" || p.CABundle != want.CABundle ||
		p.AccessKeyID != want.AccessKeyID || p.SecretAccessKey != want.SecretAccessKey {
		t.Fatalf("profile read back as %+v", p)
	}
	for svc, port := range map[string]string{"sts": "7078", "iam": "6078", "s3": "8080", "ec2": "8008"} {
		if got := p.Endpoints[svc]; got != "http://192.0.2.10:"+port {
			t.Errorf("%s endpoint %q", svc, got)
		}
	}
	if fi, err := os.Stat(paths.Credentials); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file mode: %v %v", fi.Mode(), err)
	}
}

func TestEndpointsForHTTPSAndIPv6(t *testing.T) {
	e := EndpointsFor("2001:db8::1", true)
	if e["sts"] != "https://[2001:db8::1]:7089" || e["iam"] != "https://[2001:db8::1]:6089" ||
		e["s3"] != "https://[2001:db8::1]:8443" || e["ec2"] != "https://[2001:db8::1]:8243" {
		t.Fatalf("endpoints %v", e)
	}
}

func TestValidateHost(t *testing.T) {
	for h, ok := range map[string]bool{"192.0.2.1": true, "::1": true, "snowball-1.lab": true, "a": true,
		"": false, "http://x": false, "-bad": false, "a..b": false, "sp ace": false, "x:7078": false} {
		if err := ValidateHost(h); (err == nil) != ok {
			t.Errorf("ValidateHost(%q) = %v, want ok=%v", h, err, ok)
		}
	}
}

func TestAssumedRoundTripAndRemoval(t *testing.T) {
	paths := tempPaths(t)
	foreign := "# mine\n[profile hand]\nregion = us-east-1\n"
	if err := os.WriteFile(paths.Config, []byte(foreign), 0o600); err != nil {
		t.Fatal(err)
	}
	dev := writeDevice(t, paths)
	exp := time.Date(2026, 12, 4, 17, 5, 0, 0, time.UTC)
	a := Assumed{Target: "snow-admin", ServicesName: "snow", CABundle: dev.CABundle,
		Role:        Role{DeviceProfile: "snow", RoleARN: "arn:aws:iam::123456789012:role/admin", SessionName: "snowsts-me", DurationSeconds: 3600},
		Credentials: device.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "s3cr3t", SessionToken: "tok", Expiration: exp}}
	if _, err := WriteAssumed(context.Background(), paths, a, false); err != nil {
		t.Fatal(err)
	}
	cfg, creds, err := Load(paths)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := creds.Get("snow-admin", ExpiresKey); v != "2026-12-04T17:05:00Z" {
		t.Fatalf("expiry stored as %q", v)
	}
	rec, err := ReadAssumed(cfg, creds, "snow-admin")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Role != a.Role || rec.Credentials == nil || *rec.Credentials != a.Credentials {
		t.Fatalf("read back %+v", rec)
	}
	if l := ListAssumed(cfg, creds); len(l) != 1 || l[0].Target != "snow-admin" {
		t.Fatalf("ListAssumed = %+v", l)
	}
	// A hand-written profile and the device profile are not assumed-role
	// profiles, and refuse to become one.
	if _, err := ReadAssumed(cfg, creds, "hand"); exitcode.Of(err) != exitcode.Config {
		t.Fatalf("ReadAssumed(hand) = %v", err)
	}
	if err := CheckAssumedWritable(paths, cfg, creds, "hand", false); exitcode.Of(err) != exitcode.Config {
		t.Fatalf("hand-written target accepted: %v", err)
	}
	if err := CheckAssumedWritable(paths, cfg, creds, "snow", true); exitcode.Of(err) != exitcode.Config {
		t.Fatalf("device profile accepted as a target: %v", err)
	}
	if err := CheckAssumedWritable(paths, cfg, creds, "hand", true); err != nil {
		t.Fatalf("--force refused: %v", err)
	}

	for _, name := range []string{"snow", "hand", "nosuch"} {
		if removed, err := RemoveManaged(context.Background(), paths, name); err != nil || removed {
			t.Fatalf("RemoveManaged(%q) = %v, %v; want nothing removed", name, removed, err)
		}
	}
	if removed, err := RemoveManaged(context.Background(), paths, "snow-admin"); err != nil || !removed {
		t.Fatalf("RemoveManaged(snow-admin) = %v, %v", removed, err)
	}
	cfg, creds, _ = Load(paths)
	if cfg.Has("profile snow-admin") || creds.Has("snow-admin") || !cfg.Has("profile snow") || !creds.Has("snow") {
		t.Fatalf("after removal: config %v, credentials %v", cfg.Sections(), creds.Sections())
	}
	data, _ := os.ReadFile(paths.Config)
	if string(data[:len(foreign)]) != foreign {
		t.Fatalf("foreign bytes changed:\n%s", data)
	}
}
