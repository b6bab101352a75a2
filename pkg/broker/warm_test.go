package broker

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/session"
)

func TestWarmServesWhatGetCached(t *testing.T) {
	b, dev := setup(t)
	ctx := context.Background()
	if _, ok := b.Warm("snow", role(), 15*time.Minute); ok {
		t.Fatal("Warm hit an empty cache")
	}
	p, err := b.LoadDevice(ctx, "snow")
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Get(ctx, p, Request{Role: role(), MinRemaining: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	s, ok := b.Warm("snow", role(), 15*time.Minute)
	if !ok {
		t.Fatal("Warm missed after Get stored the session")
	}
	if s.Credentials != got.Credentials || s.Source != "cache" || s.AssumedRoleARN != got.AssumedRoleARN {
		t.Errorf("Warm = %+v, want the credentials Get returned", s)
	}
	if s.Device.SecretAccessKey != "" {
		t.Error("Warm's device profile carries the secret access key")
	}
	if s.Device.Endpoints["sts"] != p.Endpoints["sts"] || s.Device.AccessKeyID != p.AccessKeyID {
		t.Errorf("Warm's device = %+v, want endpoints and key id of %+v", s.Device, p)
	}
	if n := dev.Calls("AssumeRole"); n != 1 {
		t.Errorf("AssumeRole calls = %d, want 1", n)
	}

	other := role()
	other.DurationSeconds = 900
	if _, ok := b.Warm("snow", other, 0); ok {
		t.Error("Warm served another duration's session")
	}
	if _, ok := b.Warm("snow", role(), 2*time.Hour); ok {
		t.Error("Warm served a session with less than minRemaining left")
	}
	if _, ok := b.Warm("nosuch", role(), 0); ok {
		t.Error("Warm served a profile that does not exist")
	}
}

// TestWarmKeyMatchesLoadDevice checks that the cheap read of the device
// profile gives the cache key the SDK's loader gives, for the profile shapes
// users write by hand, and misses where they differ.
func TestWarmKeyMatchesLoadDevice(t *testing.T) {
	tests := []struct {
		name        string
		profile     string
		config      string
		credentials string
		wantHit     bool
	}{
		{
			name:        "as configure writes it",
			profile:     "snow",
			config:      "[profile snow]\nregion = snow\nservices = snow\n\n[services snow]\nsts =\n  endpoint_url = http://192.0.2.10:7078\n",
			credentials: "[snow]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n",
			wantHit:     true,
		},
		{
			name:        "default profile, CRLF, odd spacing and a shared services section",
			profile:     "default",
			config:      "[default]\r\nregion=snow\r\nservices   =   dev1\r\n[services dev1]\r\nSTS=\r\n    endpoint_url=https://192.0.2.10:7089\r\n",
			credentials: "# mine\r\n[default]\r\naws_access_key_id=AKIDEXAMPLE\r\naws_secret_access_key=secret\r\n",
			wantHit:     true,
		},
		{
			name:    "keys in the config file",
			profile: "snow",
			config:  "[profile snow]\nservices = s\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = secret\n[services s]\nsts =\n  endpoint_url = http://192.0.2.10:7078\n",
			wantHit: true,
		},
		{
			name:        "the credentials file wins over the config file",
			profile:     "snow",
			config:      "[profile snow]\nservices = s\naws_access_key_id = AKIDCONFIG\n[services s]\nsts =\n  endpoint_url = http://192.0.2.10:7078\n",
			credentials: "[snow]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = secret\n",
			wantHit:     true,
		},
		{
			name:        "another region",
			profile:     "snow",
			config:      "[profile snow]\nregion = us-east-1\nservices = snow\n[services snow]\nsts =\n  endpoint_url = http://192.0.2.10:7078\n",
			credentials: "[snow]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n",
		},
		{
			name:        "no services section",
			profile:     "snow",
			config:      "[profile snow]\nregion = snow\n",
			credentials: "[snow]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n",
		},
		{
			name:        "malformed config file",
			profile:     "snow",
			config:      "[profile snow\nservices = snow\n",
			credentials: "[snow]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			b := &Broker{
				Paths: awsfile.Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")},
				Cache: session.New(filepath.Join(dir, "cache")),
			}
			write(t, b.Paths.Config, tc.config)
			write(t, b.Paths.Credentials, tc.credentials)
			p, ok := b.peekDevice(tc.profile)
			if ok != tc.wantHit {
				t.Fatalf("peekDevice ok = %v, want %v (%+v)", ok, tc.wantHit, p)
			}
			if !ok {
				return
			}
			sdk, err := b.LoadDevice(context.Background(), tc.profile)
			if err != nil {
				t.Fatalf("LoadDevice: %v", err)
			}
			r := role()
			if got, want := key(p, r), key(sdk, r); got != want {
				t.Errorf("Warm's key %+v differs from LoadDevice's %+v", got, want)
			}
			if p.ServicesName != sdk.ServicesName || p.CABundle != sdk.CABundle {
				t.Errorf("Warm read services %q ca_bundle %q, SDK %q %q", p.ServicesName, p.CABundle, sdk.ServicesName, sdk.CABundle)
			}
		})
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if s == "" {
		return
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkWarm is credential-process's warm path inside the process: read
// both AWS files, compute the key, read the cache entry.
func BenchmarkWarm(b *testing.B) {
	br := setupBench(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := br.Warm("snow", role(), 15*time.Minute); !ok {
			b.Fatal("miss")
		}
	}
}

// BenchmarkLoadDeviceAndCached is the same through the SDK's profile loader,
// for comparison.
func BenchmarkLoadDeviceAndCached(b *testing.B) {
	br := setupBench(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := br.LoadDevice(ctx, "snow")
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := br.Cached(p, Request{Role: role(), MinRemaining: 15 * time.Minute}); !ok {
			b.Fatal("miss")
		}
	}
}

// setupBench writes a device profile and a cached session for role().
func setupBench(b *testing.B) *Broker {
	b.Helper()
	dir := b.TempDir()
	br := &Broker{
		Paths: awsfile.Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")},
		Cache: session.New(filepath.Join(dir, "cache")),
	}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(os.WriteFile(br.Paths.Config, []byte("[profile snow]\nregion = snow\nservices = snow\nx_snowsts_managed = true\nx_snowsts_kind = device\n\n[services snow]\nsts =\n  endpoint_url = http://192.0.2.10:7078\niam =\n  endpoint_url = http://192.0.2.10:6078\ns3 =\n  endpoint_url = http://192.0.2.10:8080\nec2 =\n  endpoint_url = http://192.0.2.10:8008\n"), 0o600))
	must(os.WriteFile(br.Paths.Credentials, []byte("[snow]\naws_access_key_id = AKIDEXAMPLE000000000\naws_secret_access_key = secretsecretsecretsecretsecretsecret1234\nx_snowsts_managed = true\n"), 0o600))
	p, err := br.LoadDevice(context.Background(), "snow")
	must(err)
	must(br.Cache.Put(key(p, role()), &session.Entry{Profile: "snow", Credentials: session.Credentials{
		AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "s", SessionToken: "t", Expiration: time.Now().Add(time.Hour),
	}}))
	return br
}
