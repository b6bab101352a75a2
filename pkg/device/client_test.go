package device

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/devicesim"
	"github.com/snowsts/snowsts/pkg/devicesim/simtest"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// newDevice starts a simulated device and returns a profile that reaches it.
func newDevice(t *testing.T) (*devicesim.Device, *Profile) {
	t.Helper()
	sim := simtest.Start(t, simtest.Options{})
	return sim.Device, &Profile{
		Name: "snow", Region: Region, ServicesName: "snow",
		Endpoints:   map[string]string{"sts": sim.URL, "iam": sim.URL},
		AccessKeyID: sim.Banner.AccessKeyID, SecretAccessKey: sim.Banner.SecretAccessKey,
	}
}

const adminARN = "arn:aws:iam::123456789012:role/admin"

func TestAssumeRole(t *testing.T) {
	dev, p := newDevice(t)
	c, err := NewClient(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.AssumeRole(context.Background(), adminARN, "snowsts-test", 900)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.Credentials.AccessKeyID, "ASIA") || a.Credentials.SessionToken == "" {
		t.Fatalf("credentials look wrong: key %q", a.Credentials.AccessKeyID)
	}
	if left := time.Until(a.Credentials.Expiration); left < 14*time.Minute || left > 15*time.Minute {
		t.Fatalf("expiration %v is not 15 minutes away", a.Credentials.Expiration)
	}
	if a.Credentials.Expiration.Location() != time.UTC || a.Credentials.Expiration.Nanosecond() != 0 {
		t.Fatalf("expiration %v is not whole-second UTC", a.Credentials.Expiration)
	}
	if a.AssumedRoleARN != "arn:aws:sts::123456789012:assumed-role/admin/snowsts-test" {
		t.Fatalf("assumed role ARN %q", a.AssumedRoleARN)
	}
	if n := dev.Calls("AssumeRole"); n != 1 {
		t.Fatalf("device served %d AssumeRole calls, want 1", n)
	}
	roles, err := c.ListRoles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 3 || roles[0].Arn != adminARN || roles[0].MaxSessionDuration != 3600 {
		t.Fatalf("roles = %+v", roles)
	}
}

// TestClassify drives every failure class through the real SDK against the
// simulated device and checks the exit code and the one-line message.
func TestClassify(t *testing.T) {
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}
	tests := []struct {
		name    string
		setup   func(*devicesim.Device, *Profile)
		role    string
		dur     int
		code    int
		message string
		hint    string
	}{
		{"wrong secret", func(_ *devicesim.Device, p *Profile) { p.SecretAccessKey = "wrong-secret-wrong-secret" }, adminARN, 900,
			exitcode.Refused, "SignatureDoesNotMatch", "secret access key"},
		{"unknown key", func(_ *devicesim.Device, p *Profile) { p.AccessKeyID = "AKIANOTKNOWN00000000" }, adminARN, 900,
			exitcode.Refused, "InvalidClientTokenId", "list-access-keys"},
		{"unknown role", nil, "arn:aws:iam::123456789012:role/nope", 900, exitcode.Refused, "AccessDenied", "snowsts roles"},
		{"duration above the role's maximum", nil, adminARN, 7200, exitcode.Refused, "ValidationError", "MaxSessionDuration"},
		// A stale clock is corrected by a retry: see TestAssumeRoleClockSkew
		// and, for the refusal itself, TestClockSkewWithoutRetry.
		{"throttled past retries", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Throttle: 10})) },
			adminARN, 900, exitcode.Unreachable, "Throttling", "busy"},
		{"500 past retries", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{ServerError: 10})) },
			adminARN, 900, exitcode.Unreachable, "kept failing", "busy"},
		{"malformed XML", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Malformed: 10})) },
			adminARN, 900, exitcode.Unreachable, "not an AWS STS reply", "endpoint_url"},
		{"dropped connection", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Drop: 10})) },
			adminARN, 900, exitcode.Unreachable, "connection failed", "dropped"},
		{"truncated body", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Truncate: 10})) },
			adminARN, 900, exitcode.Unreachable, "", ""},
		{"closed port", func(_ *devicesim.Device, p *Profile) { p.Endpoints["sts"] = closed() }, adminARN, 900,
			exitcode.Unreachable, "refused the connection", "unlocked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev, p := newDevice(t)
			if tt.setup != nil {
				tt.setup(dev, p)
			}
			c, err := NewClient(p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.AssumeRole(context.Background(), tt.role, "snowsts-test", tt.dur)
			if err == nil {
				t.Fatal("AssumeRole succeeded")
			}
			if got := exitcode.Of(err); got != tt.code {
				t.Fatalf("exit code %d, want %d (error: %v)", got, tt.code, err)
			}
			msg := err.Error()
			t.Logf("snowsts: %s\nhint: %s", msg, exitcode.HintOf(err))
			if strings.Contains(msg, "\n") {
				t.Errorf("message has several lines: %q", msg)
			}
			if !strings.Contains(msg, tt.message) {
				t.Errorf("message %q lacks %q", msg, tt.message)
			}
			if hint := exitcode.HintOf(err); !strings.Contains(hint, tt.hint) {
				t.Errorf("hint %q lacks %q", hint, tt.hint)
			}
			for _, secret := range []string{p.SecretAccessKey} {
				if strings.Contains(msg, secret) || strings.Contains(exitcode.HintOf(err), secret) {
					t.Errorf("error reveals the secret: %q", msg)
				}
			}
		})
	}
}

func TestTimeoutIsUnreachable(t *testing.T) {
	dev, p := newDevice(t)
	must(t, dev.SetFaults(devicesim.Faults{Latency: devicesim.Duration(3 * time.Second)}))
	c, err := NewClient(p, Options{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.AssumeRole(ctx, adminARN, "snowsts-test", 900)
	if exitcode.Of(err) != exitcode.Unreachable || !strings.Contains(err.Error(), "did not answer in time") {
		t.Fatalf("got %v (code %d)", err, exitcode.Of(err))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v; --timeout was not honoured", d)
	}
}

func TestNewClientChecksProfile(t *testing.T) {
	for name, p := range map[string]*Profile{
		"no keys":      {Name: "x", Endpoints: map[string]string{"sts": "http://127.0.0.1:1"}},
		"wrong region": {Name: "x", Region: "us-east-1", AccessKeyID: "AKIA1", SecretAccessKey: "s", Endpoints: map[string]string{"sts": "http://127.0.0.1:1"}},
		"no endpoint":  {Name: "x", AccessKeyID: "AKIA1", SecretAccessKey: "s", Endpoints: map[string]string{}},
		"bad endpoint": {Name: "x", AccessKeyID: "AKIA1", SecretAccessKey: "s", Endpoints: map[string]string{"sts": "ftp://x"}},
		"bad bundle":   {Name: "x", AccessKeyID: "AKIA1", SecretAccessKey: "s", Endpoints: map[string]string{"sts": "https://x"}, CABundle: "/nonexistent.pem"},
	} {
		if _, err := NewClient(p, Options{}); exitcode.Of(err) != exitcode.Config {
			t.Errorf("%s: got %v, want a config error", name, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
