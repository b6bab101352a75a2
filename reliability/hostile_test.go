//go:build linux

package reliability

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/devicesim"
)

// hostilePayloads go inside the SecretAccessKey and SessionToken of a hostile
// device. None has a space or control character: snowsts refuses those (see
// the fault matrix), so commands are glued with ${IFS} or \x20. Each that runs
// creates the file "canary" in the shell's directory.
var hostilePayloads = []struct{ name, payload string }{
	{"command substitution", "$(touch${IFS}canary)"},
	{"backticks", "`touch${IFS}canary`"},
	{"semicolon and comment", ";touch${IFS}canary;#"},
	{"single quotes", "'$(touch${IFS}canary)'"},
	{"double quotes", `"$(touch${IFS}canary)"`},
	{"backslashes and quotes", `\'\"\\'\`},
	{"fish command substitution", `(touch\x20canary)$(touch\x20canary)`},
	{"powershell subexpression", "$(New-Item('canary'))@(ni('canary'))${env:PATH}"},
	{"cmd and history characters", "!!%PATH%^&|<>"},
	{"globs and braces", "*?[a]~{a,b}&&touch${IFS}canary"},
}

// evalShells are the real shells the output is evaluated in: the script reads
// env.out the way the user's eval does and writes the two values, byte for
// byte, to files.
var evalShells = []struct {
	name, bin, script string
}{
	{"bash", "bash", `eval "$(cat env.out)"; printf '%s' "$AWS_SECRET_ACCESS_KEY" > secret.out; printf '%s' "$AWS_SESSION_TOKEN" > token.out`},
	{"zsh", "zsh", `eval "$(cat env.out)"; printf '%s' "$AWS_SECRET_ACCESS_KEY" > secret.out; printf '%s' "$AWS_SESSION_TOKEN" > token.out`},
	{"sh", "dash", `eval "$(cat env.out)"; printf '%s' "$AWS_SECRET_ACCESS_KEY" > secret.out; printf '%s' "$AWS_SESSION_TOKEN" > token.out`},
	{"fish", "fish", `source env.out; printf '%s' "$AWS_SECRET_ACCESS_KEY" > secret.out; printf '%s' "$AWS_SESSION_TOKEN" > token.out`},
}

// TestHostileDevice has the device put shell metacharacters inside the secret
// and the session token it issues. For every shell, snowsts env either refuses
// (exit 5, nothing on stdout) or prints code that, evaluated in the real shell
// (bash, zsh, dash as sh, fish), gives back the exact values and runs nothing:
// the canary file is never created. PowerShell's and cmd's output, for which no
// shell is on this machine, are read back by their quoting rules; cmd must
// refuse % " ! ^. assume writes the same values to the credentials file, where
// ini.v1 and the AWS SDK read them back exactly.
func TestHostileDevice(t *testing.T) {
	for _, sh := range evalShells {
		if _, err := exec.LookPath(sh.bin); err != nil {
			if os.Getenv("SNOWSTS_INTEGRATION") == "1" {
				t.Fatalf("%s is required with SNOWSTS_INTEGRATION=1: %v", sh.bin, err)
			}
			t.Logf("skipping the %s checks: %v", sh.name, err)
		}
	}
	t.Parallel()
	for _, hp := range hostilePayloads {
		t.Run(hp.name, func(t *testing.T) {
			t.Parallel()
			d := startSim(t, false)
			d.setFaults(t, devicesim.Faults{HostileCredentials: hp.payload})
			s := newSandbox(t)
			s.configure(t, d)
			canary := filepath.Join(s.dir, "canary")

			// The session every command below shares (one AssumeRole, then the cache).
			r := s.snowsts(t, 0, "credential-process", "--role-arn", d.role)
			var want struct{ SecretAccessKey, SessionToken string }
			if err := json.Unmarshal([]byte(r.Stdout), &want); err != nil {
				t.Fatalf("credential-process output: %v\n%s", err, r.Stdout)
			}
			if !strings.Contains(want.SecretAccessKey, hp.payload) || !strings.Contains(want.SessionToken, hp.payload) {
				t.Fatalf("the device did not issue the hostile values: %+v", want)
			}

			for _, shell := range []string{"bash", "zsh", "sh", "fish", "powershell", "cmd"} {
				r := s.run(t, 30*time.Second, "", snowstsBin, "env", "--shell", shell, "--role-arn", d.role)
				// A refusal is exit 5: the device's reply is at fault, whether
				// snowsts refuses the credentials outright or the chosen shell
				// cannot carry them.
				refused := r.Code == 5
				switch {
				case refused:
					if r.Stdout != "" {
						t.Errorf("%s: refused, yet printed:\n%s", shell, r.Stdout)
					}
					checkOneError(t, r.Stderr, "")
					if shell != "cmd" || !strings.ContainsAny(hp.payload, `%"!^`) {
						t.Errorf("%s refused a value it can carry: %s", shell, r.Stderr)
					}
					continue
				case r.Code != 0:
					t.Errorf("env --shell %s: %s", shell, r)
					continue
				case shell == "cmd" && strings.ContainsAny(hp.payload, `%"!^`):
					t.Errorf("cmd printed a value with %% \" ! or ^:\n%s", r.Stdout)
					continue
				}
				var got [2]string
				switch shell {
				case "powershell":
					got = [2]string{readPowerShell(t, r.Stdout, "AWS_SECRET_ACCESS_KEY"), readPowerShell(t, r.Stdout, "AWS_SESSION_TOKEN")}
				case "cmd":
					got = [2]string{readCmd(t, r.Stdout, "AWS_SECRET_ACCESS_KEY"), readCmd(t, r.Stdout, "AWS_SESSION_TOKEN")}
				default:
					var ok bool
					if got, ok = evalIn(t, s, shell, r.Stdout); !ok {
						continue
					}
				}
				if got[0] != want.SecretAccessKey || got[1] != want.SessionToken {
					t.Errorf("%s gives back\n  %q\n  %q\nwant\n  %q\n  %q", shell, got[0], got[1], want.SecretAccessKey, want.SessionToken)
				}
				if _, err := os.Stat(canary); err == nil {
					t.Fatalf("%s ran the payload: the canary exists\n%s", shell, r.Stdout)
				}
			}

			// assume: the same values in the credentials file, read back exactly.
			s.snowsts(t, 0, "assume", "--role-arn", d.role, "--target-profile", "hostile")
			sc, err := sdkShared(s, "hostile")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(sc[0], hp.payload) || !strings.Contains(sc[1], hp.payload) {
				t.Errorf("the SDK reads the credentials file's secret and token as %q, %q: the payload is not in them", sc[0], sc[1])
			}
			b, err := os.ReadFile(s.creds)
			if err != nil {
				t.Fatal(err)
			}
			f, err := loadINI(b)
			if err != nil {
				t.Fatal(err)
			}
			sec := f.Section("hostile")
			if sec.Key("aws_secret_access_key").String() != sc[0] || sec.Key("aws_session_token").String() != sc[1] {
				t.Errorf("ini.v1 and the AWS SDK read different values from [hostile]")
			}
			if _, err := os.Stat(canary); err == nil {
				t.Fatal("the canary exists")
			}
		})
	}
}

// evalIn evaluates env output in the real shell and returns the secret and the
// token it then holds; ok is false when the shell is not installed.
func evalIn(t *testing.T, s *sandbox, shell, out string) (vals [2]string, ok bool) {
	t.Helper()
	var sh = evalShells[0]
	for _, e := range evalShells {
		if e.name == shell {
			sh = e
		}
	}
	bin, err := exec.LookPath(sh.bin)
	if err != nil {
		return vals, false
	}
	for _, f := range []string{"secret.out", "token.out"} {
		os.Remove(filepath.Join(s.dir, f))
	}
	s.writeFile(t, "env.out", []byte(out))
	r := s.run(t, 30*time.Second, "", bin, "-c", sh.script)
	if r.Code != 0 || r.Stderr != "" {
		t.Errorf("%s evaluating the output: %s\noutput:\n%s", shell, r, out)
	}
	for i, f := range []string{"secret.out", "token.out"} {
		b, err := os.ReadFile(filepath.Join(s.dir, f))
		if err != nil {
			t.Errorf("%s: %v", shell, err)
		}
		vals[i] = string(b)
	}
	return vals, true
}

// readPowerShell finds `$Env:NAME = '...'` in out and decodes the single-quoted
// string (” stands for ') as PowerShell does; anything else in the value is an
// error, since a printable-ASCII value needs nothing else.
func readPowerShell(t *testing.T, out, name string) string {
	t.Helper()
	prefix := "$Env:" + name + " = '"
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSuffix(line, "\r"), prefix)
		if !ok {
			continue
		}
		var b strings.Builder
		for i := 0; i < len(rest); i++ {
			if rest[i] != '\'' {
				b.WriteByte(rest[i])
				continue
			}
			if i+1 < len(rest) && rest[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			if i != len(rest)-1 {
				t.Errorf("powershell: text after the closing quote: %q", line)
			}
			return b.String()
		}
		t.Errorf("powershell: unterminated string: %q", line)
	}
	t.Errorf("powershell: no line sets %s:\n%s", name, out)
	return ""
}

// readCmd finds `set "NAME=VALUE"` in out; cmd takes everything between the
// quotes literally when it holds none of % " ! ^.
func readCmd(t *testing.T, out, name string) string {
	t.Helper()
	prefix := `set "` + name + `=`
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			v, ok := strings.CutSuffix(rest, `"`)
			if !ok || strings.ContainsAny(v, `%"!^`) {
				t.Errorf("cmd: unsafe line %q", line)
			}
			return v
		}
	}
	t.Errorf("cmd: no line sets %s:\n%s", name, out)
	return ""
}

// sdkShared returns the secret and token the AWS SDK's loader reads for profile.
func sdkShared(s *sandbox, profile string) ([2]string, error) {
	sc, err := loadShared(s, profile)
	if err != nil {
		return [2]string{}, fmt.Errorf("SDK loader, profile %s: %w", profile, err)
	}
	return [2]string{sc.Credentials.SecretAccessKey, sc.Credentials.SessionToken}, nil
}
