//go:build linux

package reliability

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/devicesim"
)

// faultTimeout is the --timeout every fault-matrix run gets, so that the
// stalled cases end quickly; a run may take it plus startLimit.
const (
	faultTimeout = 2 * time.Second
	startLimit   = 3 * time.Second
)

// faultCase is one way the device can misbehave, set up on a fresh device and
// sandbox before the command runs.
type faultCase struct {
	name  string
	setup func(t *testing.T, d *sim, s *sandbox)
	code  int    // the contract's exit code
	want  string // what the snowsts: line says (a substring), for a failure
}

// endpoint points the device profile's STS (and IAM) at another address.
func endpoint(url string) func(t *testing.T, d *sim, s *sandbox) {
	return func(t *testing.T, d *sim, s *sandbox) {
		s.snowsts(t, 0, "configure", "--sts-endpoint", url, "--iam-endpoint", url)
	}
}

// fault switches one device fault on.
func fault(f devicesim.Faults) func(t *testing.T, d *sim, s *sandbox) {
	return func(t *testing.T, d *sim, s *sandbox) { d.setFaults(t, f) }
}

var faultCases = []faultCase{
	{name: "connection refused", code: 5, want: "refused",
		setup: func(t *testing.T, d *sim, s *sandbox) { endpoint("http://127.0.0.1:"+closedPort(t))(t, d, s) }},
	{name: "black-holed address", code: 5,
		setup: func(t *testing.T, d *sim, s *sandbox) { endpoint("http://127.0.0.1:"+blackholePort(t))(t, d, s) }},
	{name: "accepts and never answers", code: 5,
		setup: func(t *testing.T, d *sim, s *sandbox) { endpoint("http://127.0.0.1:"+silentPort(t))(t, d, s) }},
	{name: "reply slower than timeout", code: 5, setup: fault(devicesim.Faults{Latency: devicesim.Duration(2 * faultTimeout)})},
	{name: "500 InternalFailure", code: 5, setup: fault(devicesim.Faults{ServerError: 1000})},
	{name: "throttling", code: 5, setup: fault(devicesim.Faults{Throttle: 1000})},
	{name: "malformed XML", code: 5, setup: fault(devicesim.Faults{Malformed: 1000})},
	{name: "truncated body", code: 5, setup: fault(devicesim.Faults{Truncate: 1000})},
	{name: "dropped connection", code: 5, setup: fault(devicesim.Faults{Drop: 1000})},
	{name: "control characters in credentials", code: 5, want: "control", setup: fault(devicesim.Faults{HostileCredentials: "a\nb"})},
	{name: "wrong CA", code: 5, setup: func(t *testing.T, d *sim, s *sandbox) {
		_, other, err := devicesim.NewSelfSignedCert("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		s.snowsts(t, 0, "configure", "--ca-bundle", s.writeFile(t, "other-cert.pem", other))
	}},
	{name: "role not allowed", code: 4, want: "AccessDenied", setup: func(t *testing.T, d *sim, s *sandbox) {}},
	{name: "clock 20m ahead", code: 0, setup: fault(devicesim.Faults{ClockSkew: devicesim.Duration(20 * time.Minute)})},
	{name: "clock 20m behind", code: 0, setup: fault(devicesim.Faults{ClockSkew: devicesim.Duration(-20 * time.Minute)})},
	{name: "clock 20h ahead", code: 0, setup: fault(devicesim.Faults{ClockSkew: devicesim.Duration(20 * time.Hour)})},
	{name: "clock 20h behind", code: 0, setup: fault(devicesim.Faults{ClockSkew: devicesim.Duration(-20 * time.Hour)})},
}

// faultCommands are the commands that call AssumeRole, with their arguments
// after the global flags.
var faultCommands = []struct {
	name string
	args func(role string) []string
}{
	{"assume", func(role string) []string { return []string{"assume", "--role-arn", role} }},
	{"env", func(role string) []string { return []string{"env", "--shell", "sh", "--role-arn", role} }},
	{"credential-process", func(role string) []string { return []string{"credential-process", "--role-arn", role} }},
}

// TestFaultMatrix runs assume, env and credential-process against every fault:
// the contract's exit code, exactly one "snowsts:" line and at most one "hint:"
// line on stderr, nothing on stdout, and every file of the AWS directory and
// the cache byte-identical afterwards. The skewed clocks must succeed.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	for _, fc := range faultCases {
		for _, c := range faultCommands {
			t.Run(fc.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				d := startSim(t, fc.name == "wrong CA")
				s := newSandbox(t)
				s.configure(t, d)
				// A hand-written profile and an earlier session, so that there is
				// something to lose.
				s.snowsts(t, 0, "assume", "--role-arn", d.roles[1], "--target-profile", "earlier")
				appendFile(t, s.config, "\n# hand-written\n[profile mine]\nregion = us-east-1\n")
				appendFile(t, s.creds, "\n[mine]\naws_access_key_id = AKIDMINE\naws_secret_access_key = mine\n")
				fc.setup(t, d, s)
				role := d.role
				if fc.name == "role not allowed" {
					role = strings.Replace(d.role, "role/admin", "role/nosuchrole", 1)
				}
				before := s.snapshot(t)
				args := append([]string{"--timeout", faultTimeout.String()}, c.args(role)...)
				r := s.run(t, 30*time.Second, "", snowstsBin, args...)
				if r.Code != fc.code {
					t.Fatalf("snowsts %s: want exit %d, got %s", strings.Join(args, " "), fc.code, r)
				}
				if r.Took > faultTimeout+startLimit {
					t.Errorf("took %v, more than --timeout %v + %v", r.Took, faultTimeout, startLimit)
				}
				if fc.code == 0 {
					checkSuccess(t, c.name, r, s, before)
					return
				}
				if r.Stdout != "" {
					t.Errorf("stdout is not empty:\n%s", r.Stdout)
				}
				checkOneError(t, r.Stderr, fc.want)
				// The one file a failure may add: the session's empty single-flight
				// lock file in the cache (pkg/session: only a holder unlinks it).
				if diff := diffSnapshots(before, withoutNewLocks(before, s.snapshot(t))); diff != "" {
					t.Errorf("files changed by a failed %s:\n%s", c.name, diff)
				}
			})
		}
	}
}

// checkOneError checks that stderr is exactly one "snowsts: " line, which
// contains want, and at most one "hint: " line after it.
func checkOneError(t *testing.T, stderr, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	ok := len(lines) >= 1 && len(lines) <= 2 && strings.HasPrefix(lines[0], "snowsts: ") &&
		(len(lines) == 1 || strings.HasPrefix(lines[1], "hint: ")) && strings.HasSuffix(stderr, "\n")
	if !ok {
		t.Errorf("stderr is not one snowsts: line and at most one hint: line:\n%s", stderr)
	}
	if want != "" && !strings.Contains(lines[0], want) {
		t.Errorf("error line %q does not mention %q", lines[0], want)
	}
}

// checkSuccess checks a successful run's output, and that env and
// credential-process left the AWS files alone.
func checkSuccess(t *testing.T, command string, r result, s *sandbox, before map[string]string) {
	t.Helper()
	after := s.snapshot(t)
	switch command {
	case "assume":
		if r.Stdout != "" {
			t.Errorf("assume printed on stdout:\n%s", r.Stdout)
		}
		checkExpiry(t, r.Stderr)
	case "env":
		if !strings.Contains(r.Stdout, "export AWS_SESSION_TOKEN=") {
			t.Errorf("env printed no session token:\n%s", r.Stdout)
		}
		checkExpiry(t, r.Stderr)
	case "credential-process":
		var out struct {
			Version                                    int
			AccessKeyId, SecretAccessKey, SessionToken string
			Expiration                                 time.Time
		}
		if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil || out.Version != 1 || out.SessionToken == "" {
			t.Fatalf("credential-process output %q: %v", r.Stdout, err)
		}
		if left := time.Until(out.Expiration); left < 55*time.Minute || left > time.Hour {
			t.Errorf("Expiration %v is %v from now, want the role's hour in this machine's time", out.Expiration, left)
		}
	}
	if command != "assume" {
		for _, f := range []string{".aws/config", ".aws/credentials"} {
			if before[f] != after[f] {
				t.Errorf("%s changed %s", command, f)
			}
		}
	}
}

// checkExpiry checks that the summary on stderr gives the role's hour, in this
// machine's time whatever the device's clock says.
func checkExpiry(t *testing.T, stderr string) {
	t.Helper()
	if !strings.Contains(stderr, "(in 59m") && !strings.Contains(stderr, "(in 1h0m0s)") {
		t.Errorf("summary does not say the session has the role's hour left:\n%s", stderr)
	}
}

// appendFile appends text to the file at p.
func appendFile(t testing.TB, p, text string) {
	t.Helper()
	b, err := readMaybe(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeMode(p, append(b, text...)); err != nil {
		t.Fatal(fmt.Errorf("append to %s: %w", p, err))
	}
}

// emptySHA256 is the hash of an empty file.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// withoutNewLocks drops from after the empty cache/<id>.lock files that before
// did not have.
func withoutNewLocks(before, after map[string]string) map[string]string {
	out := make(map[string]string, len(after))
	for k, v := range after {
		_, had := before[k]
		if !had && strings.HasPrefix(k, "cache/") && strings.HasSuffix(k, ".lock") && strings.HasSuffix(v, " "+emptySHA256) {
			continue
		}
		out[k] = v
	}
	return out
}
