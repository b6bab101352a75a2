package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/devicesim/simtest"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// warmHome configures a device profile for sim in a temporary home with the
// real configure command, fills the session cache with a cold
// `credential-process --role-arn <sim's first role>`, and returns the
// environment of a snowsts run there.
func warmHome(t testing.TB, sim *simtest.Sim) func(string) string {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"HOME": dir, "USER": "tester",
		"AWS_CONFIG_FILE":             filepath.Join(dir, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, ".aws", "credentials"),
		"SNOWSTS_CACHE_DIR":           filepath.Join(dir, "cache"),
	}
	getenv := func(k string) string { return env[k] }
	creds := filepath.Join(dir, "creds.ini")
	b := sim.Banner
	must(t, os.WriteFile(creds, fmt.Appendf(nil, "[snowballEdge]\naws_access_key_id = %s\naws_secret_access_key = %s\n", b.AccessKeyID, b.SecretAccessKey), 0o600))
	s, _, errOut := simTestStreams()
	if code := run(context.Background(), []string{"configure", "--device", "127.0.0.1", "--sts-endpoint", sim.URL,
		"--iam-endpoint", sim.URL, "--import-credentials", creds}, s, getenv); code != 0 {
		t.Fatalf("configure: exit %d: %s", code, errOut)
	}
	s, out, errOut := simTestStreams()
	if code := run(context.Background(), []string{"credential-process", "--role-arn", b.Roles[0]}, s, getenv); code != 0 || out.String() == "" {
		t.Fatalf("cold credential-process: exit %d, stderr %s", code, errOut)
	}
	return getenv
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWarmPathAgreesWithTheCommand holds warmCredentialProcess, which main runs
// before cobra, to the credential-process command: a command line it serves
// gets exactly the command's stdout, stderr and exit code (and neither calls
// the device); a command line it cannot serve exactly — help, a bad flag, a
// check that fails, --debug, a cache miss — it declines with nothing written.
func TestWarmPathAgreesWithTheCommand(t *testing.T) {
	sim := simtest.Start(t, simtest.Options{})
	getenv := warmHome(t, sim)
	role := sim.Banner.Roles[0]
	cp := func(args ...string) []string { return append([]string{"credential-process"}, args...) }
	calls := sim.Device.Calls("AssumeRole")

	served := [][]string{
		cp("--role-arn", role),
		cp("--role-arn=" + role),
		cp("--profile", "snow", "--role-arn", role, "--min-remaining", "20m"),
		cp("--role-arn", role, "--timeout", "5s", "--duration-seconds", "3600"),
		cp("--role-arn", role, "--role-session-name", "snowsts-tester"),
		cp("--min-remaining=0s", "--role-arn", role),
	}
	for _, args := range served {
		t.Run("serves "+strings.Join(args[1:], " "), func(t *testing.T) {
			ws, wout, werr := simTestStreams()
			code, done := warmCredentialProcess(args, ws, getenv)
			if !done {
				t.Fatalf("the warm path declined a cached session (stderr %q)", werr)
			}
			cs, cout, cerr := simTestStreams()
			ccode := run(context.Background(), args, cs, getenv)
			if code != ccode || wout.String() != cout.String() || werr.String() != cerr.String() {
				t.Fatalf("warm path: exit %d, stdout %q, stderr %q\ncommand:   exit %d, stdout %q, stderr %q",
					code, wout, werr, ccode, cout, cerr)
			}
			if code != 0 || !strings.HasPrefix(wout.String(), `{"Version":1,"AccessKeyId":"ASIA`) {
				t.Fatalf("exit %d, stdout %q", code, wout)
			}
		})
	}

	declined := [][]string{
		{"env", "--role-arn", role},
		{"--profile", "snow", "credential-process", "--role-arn", role}, // global flag first: cobra finds the command
		cp(),
		cp("-h"),
		cp("--help"),
		cp("--version"),
		cp("--role-arn", role, "--debug"),
		cp("--role-arn", role, "extra"),
		cp("--role-arn", role, "--", "extra"),
		cp("--role-arn", role, "--bogus"),
		cp("--role-arn", "arn:aws:iam::123456789012:user/admin"),
		cp("--role-arn", role, "--role-session-name", "has space"),
		cp("--role-arn", role, "--duration-seconds", "60"),
		cp("--role-arn", role, "--min-remaining", "2h"),
		cp("--role-arn", role, "--min-remaining", "-1s"),
		cp("--role-arn", role, "--timeout", "0s"),
		cp("--profile", "bad name", "--role-arn", role),
		cp("--profile", "ghost", "--role-arn", role),
		cp("--role-arn", role, "--role-session-name", "not-cached"),
		cp("--role-arn", role, "--duration-seconds", "900"),
	}
	for _, args := range declined {
		t.Run("declines "+strings.Join(args, " "), func(t *testing.T) {
			ws, wout, werr := simTestStreams()
			if code, done := warmCredentialProcess(args, ws, getenv); done || code != 0 || wout.String() != "" || werr.String() != "" {
				t.Fatalf("done %v, exit %d, stdout %q, stderr %q; want declined with nothing written", done, code, wout, werr)
			}
		})
	}
	if n := sim.Device.Calls("AssumeRole"); n != calls {
		t.Errorf("the device served %d AssumeRole calls after the cache was filled, want none", n-calls)
	}

	// A session with less than --min-remaining left is the command's to renew.
	entries, err := filepath.Glob(filepath.Join(getenv("SNOWSTS_CACHE_DIR"), "*.json"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("cache entries %v, %v", entries, err)
	}
	b, err := os.ReadFile(entries[0])
	must(t, err)
	soon := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
	b = regexp.MustCompile(`"Expiration": *"[^"]*"`).ReplaceAll(b, []byte(`"Expiration": "`+soon+`"`))
	must(t, os.WriteFile(entries[0], b, 0o600))
	ws, wout, werr := simTestStreams()
	if code, done := warmCredentialProcess(cp("--role-arn", role), ws, getenv); done || code != 0 || wout.String() != "" || werr.String() != "" {
		t.Fatalf("a session with 10m left: done %v, exit %d, stdout %q, stderr %q; want declined", done, code, wout, werr)
	}
	if _, done := warmCredentialProcess(cp("--role-arn", role, "--min-remaining", "5m"), ws, getenv); !done {
		t.Fatal("a session with 10m left and --min-remaining 5m was declined")
	}
}

// failingWriter refuses every write, like a closed pipe.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) {
	return 0, errors.New("write /dev/stdout: broken pipe")
}

// TestWarmPathWriteError: when stdout cannot be written, the warm path reports
// it as the command does (the same line, exit 1) instead of handing over to a
// command that would print a second time.
func TestWarmPathWriteError(t *testing.T) {
	sim := simtest.Start(t, simtest.Options{})
	getenv := warmHome(t, sim)
	args := []string{"credential-process", "--role-arn", sim.Banner.Roles[0]}
	ws, _, werr := simTestStreams()
	ws.Out = failingWriter{}
	code, done := warmCredentialProcess(args, ws, getenv)
	cs, _, cerr := simTestStreams()
	cs.Out = failingWriter{}
	ccode := run(context.Background(), args, cs, getenv)
	if !done || code != exitcode.Failure || code != ccode || werr.String() != cerr.String() || !strings.Contains(werr.String(), "broken pipe") {
		t.Fatalf("warm path: done %v, exit %d, stderr %q; command: exit %d, stderr %q", done, code, werr, ccode, cerr)
	}
}

// BenchmarkWarmCredentialProcess is the warm path in process: parsing the
// command line, reading the AWS files and the cache entry, and printing. A
// whole run is process start plus this (bench/run.sh measures both).
func BenchmarkWarmCredentialProcess(b *testing.B) {
	sim := simtest.Start(b, simtest.Options{})
	getenv := warmHome(b, sim)
	args := []string{"credential-process", "--role-arn", sim.Banner.Roles[0]}
	b.ReportAllocs()
	for b.Loop() {
		ws, _, _ := simTestStreams()
		if _, done := warmCredentialProcess(args, ws, getenv); !done {
			b.Fatal("not served from the cache")
		}
	}
}
