//go:build linux

package reliability

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/devicesim"
)

// secretMarker is planted by the device (the hostile_credentials fault) inside
// every temporary secret and session token it issues, so that a leak of
// credentials this test never saw (a reply cut off in transit) is found too.
const secretMarker = "Zq9LeakMarker7Xw"

// TestNoSecretsInDebug runs every command with --debug against the device, on
// its success and its failure paths, and searches stderr (and stdout, but for
// the commands whose stdout is the credentials themselves) for the device's
// long-term secret, a wrong secret the operator typed, the temporary secret
// and session token, and the marker the device plants in every temporary
// secret. snowsts has no recover() in run(): a panic would print Go's own
// trace, whose frames show arguments as machine words, not strings; there is no
// panic path to force.
func TestNoSecretsInDebug(t *testing.T) {
	t.Parallel()
	d := startSim(t, false)
	d.setFaults(t, devicesim.Faults{HostileCredentials: secretMarker})
	s := newSandbox(t)
	const wrongSecret = "WrongSecretTypedByTheOperator0000000000"

	secrets := map[string]string{"device secret": d.secret, "marker": secretMarker, "wrong secret": wrongSecret}
	type step struct {
		name       string
		args       []string
		code       int
		faults     *devicesim.Faults
		stdin      string
		dataStdout bool // stdout carries the credentials: not searched
	}
	role := d.role
	ini := s.writeFile(t, "sim-creds.ini", []byte("[snowballEdge]\naws_access_key_id = "+d.key+"\naws_secret_access_key = "+d.secret+"\n"))
	steps := []step{
		{name: "configure", args: []string{"configure", "--device", "127.0.0.1", "--sts-endpoint", d.url, "--iam-endpoint", d.url, "--import-credentials", ini}},
		{name: "assume", args: []string{"assume", "--role-arn", role}},
		{name: "assume json", args: []string{"assume", "--role-arn", role, "--output", "json", "--target-profile", "t2"}},
		{name: "env current", args: []string{"env", "--shell", "bash"}, dataStdout: true},
		{name: "env role", args: []string{"env", "--shell", "fish", "--role-arn", role, "--role-session-name", "envrole"}, dataStdout: true},
		{name: "env target", args: []string{"env", "--shell", "powershell", "--target-profile", "t2"}, dataStdout: true},
		{name: "credential-process", args: []string{"credential-process", "--role-arn", role}, dataStdout: true},
		{name: "exec", args: []string{"exec", "--role-arn", role, "--", "true"}},
		{name: "status", args: []string{"status"}},
		{name: "status json", args: []string{"status", "--output", "json"}},
		{name: "roles", args: []string{"roles", "--output", "json"}},
		{name: "doctor", args: []string{"doctor", "--role-arn", role}},
		{name: "configure role", args: []string{"configure", "role", "viaprocess", "--role-arn", role}},
		{name: "clear one", args: []string{"clear", "--target-profile", "t2"}},
		// Failures.
		{name: "denied", args: []string{"assume", "--role-arn", strings.Replace(role, "role/admin", "role/nosuch", 1)}, code: 4},
		{name: "500", args: []string{"assume", "--role-arn", role, "--role-session-name", "f500"}, code: 5, faults: &devicesim.Faults{ServerError: 100}},
		{name: "malformed", args: []string{"credential-process", "--role-arn", role, "--role-session-name", "fmal"}, code: 5, faults: &devicesim.Faults{Malformed: 100}},
		{name: "truncated", args: []string{"env", "--role-arn", role, "--role-session-name", "ftrunc"}, code: 5, faults: &devicesim.Faults{Truncate: 100}},
		{name: "control characters", args: []string{"assume", "--role-arn", role, "--role-session-name", "fctl"}, code: 5,
			faults: &devicesim.Faults{HostileCredentials: secretMarker + "\n"}},
		{name: "cmd refuses", args: []string{"env", "--shell", "cmd", "--role-arn", role, "--role-session-name", "fcmd"}, code: 5,
			faults: &devicesim.Faults{HostileCredentials: secretMarker + "%PATH%"}},
		{name: "slow", args: []string{"--timeout", "1s", "credential-process", "--role-arn", role, "--role-session-name", "fslow"}, code: 5,
			faults: &devicesim.Faults{Latency: devicesim.Duration(2 * time.Second), HostileCredentials: secretMarker}},
		{name: "wrong secret", args: []string{"configure", "--secret-access-key-stdin"}, stdin: wrongSecret + "\n"},
		{name: "signature refused", args: []string{"assume", "--role-arn", role, "--role-session-name", "fsig"}, code: 4},
		{name: "doctor refused", args: []string{"doctor", "--role-arn", role}, code: 4},
		{name: "roles refused", args: []string{"roles"}, code: 4},
	}
	debugLines := 0
	for _, st := range steps {
		if st.faults != nil {
			d.setFaults(t, *st.faults)
		} else {
			d.setFaults(t, devicesim.Faults{HostileCredentials: secretMarker})
		}
		args := append([]string{"--debug"}, st.args...)
		r := s.run(t, 30*time.Second, st.stdin, snowstsBin, args...)
		if r.Code != st.code {
			t.Fatalf("%s: want exit %d, got %s", st.name, st.code, r)
		}
		debugLines += strings.Count(r.Stderr, "level=DEBUG")
		if st.name == "credential-process" {
			// The temporary credentials themselves, from now on.
			var c struct{ SecretAccessKey, SessionToken string }
			if err := json.Unmarshal([]byte(r.Stdout), &c); err != nil {
				t.Fatal(err)
			}
			secrets["temporary secret"], secrets["session token"] = c.SecretAccessKey, c.SessionToken
		}
		if found := secretsIn(r.Stderr, secrets); len(found) > 0 {
			t.Errorf("%s: stderr shows the %v:\n%s", st.name, found, r.Stderr)
		}
		if !st.dataStdout {
			if found := secretsIn(r.Stdout, secrets); len(found) > 0 {
				t.Errorf("%s: stdout shows the %v:\n%s", st.name, found, r.Stdout)
			}
		} else if st.code == 0 && !strings.Contains(r.Stdout, secretMarker) {
			t.Errorf("%s: the credentials on stdout lack the marker the device plants:\n%s", st.name, r.Stdout)
		}
	}
	if debugLines < len(steps) {
		t.Errorf("only %d debug lines in %d runs: is --debug logging?", debugLines, len(steps))
	}
	t.Logf("%d runs with --debug, %d debug lines searched", len(steps), debugLines)
}
