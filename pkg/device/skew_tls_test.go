package device

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/devicesim"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// TestAssumeRoleClockSkew proves that a device clock far from this machine's
// costs one refused attempt, not a failure, and that the Expiration returned
// is in local time: the role's duration from now, whatever the device's clock.
func TestAssumeRoleClockSkew(t *testing.T) {
	for _, tt := range []struct {
		name  string
		skew  time.Duration
		calls int64
	}{
		{"device 20m ahead", 20 * time.Minute, 2},
		{"device 20m behind", -20 * time.Minute, 2},
		{"device 3m ahead, within the signing window", 3 * time.Minute, 1},
		{"device 40m behind", -40 * time.Minute, 2},
		{"device 2 days ahead", 48 * time.Hour, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dev, p := newDevice(t)
			must(t, dev.SetFaults(devicesim.Faults{ClockSkew: devicesim.Duration(tt.skew)}))
			c, err := NewClient(p, Options{})
			must(t, err)
			a, err := c.AssumeRole(context.Background(), adminARN, "snowsts-test", 900)
			if err != nil {
				t.Fatalf("AssumeRole with a skewed device: %v", err)
			}
			if got := dev.Calls("AssumeRole"); got != tt.calls {
				t.Errorf("device served %d AssumeRole calls, want %d", got, tt.calls)
			}
			if d := a.ClockSkew - tt.skew; d > 2*time.Second || d < -2*time.Second {
				t.Errorf("measured skew %v, want about %v", a.ClockSkew, tt.skew)
			}
			left := time.Until(a.Credentials.Expiration)
			if left < 14*time.Minute || left > 15*time.Minute+2*time.Second {
				t.Errorf("expiration %v is %v away in local time, want 15m", a.Credentials.Expiration, left)
			}
		})
	}
}

// tlsDevice serves the simulated device over TLS with a certificate for san,
// writes that certificate as ca_bundle and returns a profile reaching it.
func tlsDevice(t *testing.T, san string) (*Profile, string) {
	t.Helper()
	_, p := newDevice(t)
	st, err := devicesim.DefaultState()
	must(t, err)
	dev, err := devicesim.New(st)
	must(t, err)
	cert, pemBytes, err := devicesim.NewSelfSignedCert(san)
	must(t, err)
	srv := httptest.NewUnstartedServer(dev)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	bundle := filepath.Join(t.TempDir(), "device.pem")
	must(t, os.WriteFile(bundle, pemBytes, 0o600))
	u := st.Users[0]
	p.AccessKeyID, p.SecretAccessKey = u.AccessKeyID, u.SecretAccessKey
	p.Endpoints = map[string]string{"sts": srv.URL, "iam": srv.URL}
	p.CABundle = bundle
	return p, bundle
}

func TestTLSVerification(t *testing.T) {
	otherPEM := func(t *testing.T) string {
		_, pemBytes, err := devicesim.NewSelfSignedCert("127.0.0.1")
		must(t, err)
		path := filepath.Join(t.TempDir(), "other.pem")
		must(t, os.WriteFile(path, pemBytes, 0o600))
		return path
	}
	for _, tt := range []struct {
		name    string
		san     string
		bundle  func(t *testing.T, own string) string
		code    int
		message string
		warn    string
	}{
		{"bundle names the address", "127.0.0.1", nil, 0, "", ""},
		{"pinned certificate for another IP", "10.0.0.9", nil, 0, "", "issued for [10.0.0.9], not 127.0.0.1"},
		{"pinned certificate for a name", "snowball.local", nil, 0, "", "issued for [snowball.local]"},
		{"new certificate after unlock with a new IP", "127.0.0.1", func(t *testing.T, _ string) string { return otherPEM(t) },
			exitcode.Unreachable, "certificate signed by an unknown authority", ""},
		{"no bundle", "127.0.0.1", func(*testing.T, string) string { return "" }, exitcode.Unreachable, "unknown authority", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, own := tlsDevice(t, tt.san)
			if tt.bundle != nil {
				p.CABundle = tt.bundle(t, own)
			}
			var mu sync.Mutex
			var warnings []string
			c, err := NewClient(p, Options{MaxAttempts: 1, Warn: func(m string) { mu.Lock(); warnings = append(warnings, m); mu.Unlock() }})
			must(t, err)
			_, err = c.AssumeRole(context.Background(), adminARN, "snowsts-test", 900)
			if got := exitcode.Of(err); got != tt.code {
				t.Fatalf("exit code %d, want %d (%v)", got, tt.code, err)
			}
			if err != nil {
				t.Logf("snowsts: %v\nhint: %s", err, exitcode.HintOf(err))
				if !strings.Contains(err.Error(), tt.message) {
					t.Errorf("message %q lacks %q", err, tt.message)
				}
				if tt.name == "no bundle" && !strings.Contains(exitcode.HintOf(err), "ca_bundle") {
					t.Errorf("hint %q does not name ca_bundle", exitcode.HintOf(err))
				}
			}
			if _, err := c.ListRoles(context.Background()); exitcode.Of(err) != tt.code {
				t.Errorf("ListRoles: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case tt.warn == "" && len(warnings) != 0:
				t.Errorf("unexpected warnings %q", warnings)
			case tt.warn != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tt.warn)):
				t.Errorf("warnings %q, want one with %q", warnings, tt.warn)
			}
		})
	}
}

// TestCABundleVerify covers what a handshake cannot easily show: an expired
// pinned certificate is still refused, and names are checked when not pinned.
func TestCABundleVerify(t *testing.T) {
	cert, pemBytes, err := devicesim.NewSelfSignedCert("10.0.0.9")
	must(t, err)
	path := filepath.Join(t.TempDir(), "b.pem")
	must(t, os.WriteFile(path, pemBytes, 0o600))
	b, err := ReadCABundle(path)
	must(t, err)
	chain := []*x509.Certificate{cert.Leaf}
	var warned int
	warn := func(string) { warned++ }
	if err := b.Verify(chain, "10.0.0.9", time.Now(), warn); err != nil || warned != 0 {
		t.Fatalf("own name: %v, %d warnings", err, warned)
	}
	if err := b.Verify(chain, "10.0.0.7", time.Now(), warn); err != nil || warned != 1 {
		t.Fatalf("pinned, other name: %v, %d warnings", err, warned)
	}
	var inv x509.CertificateInvalidError
	if err := b.Verify(chain, "10.0.0.9", time.Now().AddDate(2, 0, 0), warn); !errors.As(err, &inv) {
		t.Fatalf("expired pinned certificate: %v", err)
	}
	if err := b.Verify(nil, "10.0.0.9", time.Now(), warn); err == nil {
		t.Fatal("empty chain accepted")
	}
}

// TestClockSkewWithoutRetry: with no retry left, a skewed clock is a refusal
// (exit 4) whose hint says to set the clock.
func TestClockSkewWithoutRetry(t *testing.T) {
	dev, p := newDevice(t)
	must(t, dev.SetFaults(devicesim.Faults{ClockSkew: devicesim.Duration(-40 * time.Minute)}))
	c, err := NewClient(p, Options{MaxAttempts: 1})
	must(t, err)
	_, err = c.AssumeRole(context.Background(), adminARN, "snowsts-test", 900)
	if exitcode.Of(err) != exitcode.Refused || !strings.Contains(err.Error(), "RequestExpired") ||
		!strings.Contains(exitcode.HintOf(err), "clock") {
		t.Fatalf("got %v (hint %q)", err, exitcode.HintOf(err))
	}
}
