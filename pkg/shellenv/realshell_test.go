package shellenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// realShell is one way a real shell evaluates snowsts's output.
type realShell struct {
	name  string // test name
	prog  string // program on PATH
	shell Shell  // the syntax it is fed
	// args run the script at path $0 (sh family) or $argv[1] (fish), then exec env -0.
	args []string
}

var realShells = []realShell{
	{"sh", "sh", Sh, []string{"-c", `eval "$(cat "$0")" && exec env -0`}},
	{"bash", "bash", Bash, []string{"--norc", "--noprofile", "-c", `eval "$(cat "$0")" && exec env -0`}},
	{"bash-posix", "bash", Bash, []string{"--posix", "--norc", "--noprofile", "-c", `eval "$(cat "$0")" && exec env -0`}},
	{"zsh", "zsh", Zsh, []string{"-f", "-c", `eval "$(cat "$0")" && exec env -0`}},
	{"zsh-rcquotes", "zsh", Zsh, []string{"-f", "-o", "rcquotes", "-c", `eval "$(cat "$0")" && exec env -0`}},
	{"zsh-shwordsplit", "zsh", Zsh, []string{"-f", "-o", "shwordsplit", "-o", "globsubst", "-o", "rcexpandparam", "-c", `eval "$(cat "$0")" && exec env -0`}},
	{"fish", "fish", Fish, []string{"--no-config", "-c", `source $argv[1]; and exec env -0`}},
	{"fish-pipe-source", "fish", Fish, []string{"--no-config", "-c", `cat $argv[1] | source; and exec env -0`}},
	{"fish-eval-lines", "fish", Fish, []string{"--no-config", "-c", `eval (cat $argv[1]); and exec env -0`}},
}

func (rs realShell) available() bool {
	_, err := exec.LookPath(rs.prog)
	return err == nil
}

// requireShell skips the test when rs's program is missing, or fails it when
// SNOWSTS_INTEGRATION=1 asks for every real peer.
func requireShell(t *testing.T, rs realShell) {
	t.Helper()
	if rs.available() {
		return
	}
	msg := fmt.Sprintf("%s is not installed (apt-get install -y fish zsh)", rs.prog)
	if os.Getenv("SNOWSTS_INTEGRATION") == "1" {
		t.Fatal(msg + "; SNOWSTS_INTEGRATION=1 requires it")
	}
	t.Skip(msg)
}

// runShell writes script to a file, runs rs on it in an empty working
// directory with an environment of only PATH, HOME, the locale and extra, and
// returns the environment the shell exported (from env -0), stderr and the
// exit error. It fails t if anything appeared in the working directory: every
// attack value tries to create a file there.
func runShell(t *testing.T, rs realShell, locale, script string, extra ...string) (map[string]string, string, error) {
	t.Helper()
	scriptDir, work, home := t.TempDir(), t.TempDir(), t.TempDir()
	path := filepath.Join(scriptDir, "env.out")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(rs.prog, append(append([]string{}, rs.args...), path)...)
	cmd.Dir = work
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + home, "LC_ALL=" + locale,
		"XDG_CONFIG_HOME=" + home, "XDG_DATA_HOME=" + home}, extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if ents, err := os.ReadDir(work); err != nil || len(ents) > 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("%s created %q in its working directory (%v): a value ran code", rs.name, names, err)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(stdout.String(), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env, stderr.String(), runErr
}

// runExportCheck exports values as V0, V1, ... through rs and checks that the
// shell ran cleanly, created nothing, and exported exactly those bytes.
func runExportCheck(t *testing.T, rs realShell, locale string, values []string) {
	t.Helper()
	vars := make([]Var, len(values))
	for i, v := range values {
		vars[i] = Var{fmt.Sprintf("V%d", i), v}
	}
	script, err := Export(rs.shell, vars)
	if err != nil {
		t.Fatal(err)
	}
	env, stderr, err := runShell(t, rs, locale, script)
	if err != nil || stderr != "" {
		t.Fatalf("%s (LC_ALL=%s) failed: %v; stderr:\n%s", rs.name, locale, err, stderr)
	}
	for _, v := range vars {
		got, ok := env[v.Name]
		if !ok {
			t.Errorf("%s (LC_ALL=%s): %s = %q not exported", rs.name, locale, v.Name, v.Value)
		} else if got != v.Value {
			t.Errorf("%s (LC_ALL=%s): %s = %q, want %q", rs.name, locale, v.Name, got, v.Value)
		}
	}
}

var locales = []string{"C", "C.UTF-8"}

// TestRealShellsExport feeds every nasty value and hundreds of random ones,
// in one process per shell and locale, to the real shells.
func TestRealShellsExport(t *testing.T) {
	values := append(append([]string{}, nastyValues...), randomValues(300, 2)...)
	for _, rs := range realShells {
		for _, loc := range locales {
			t.Run(rs.name+"/"+loc, func(t *testing.T) {
				requireShell(t, rs)
				runExportCheck(t, rs, loc, values)
			})
		}
	}
}

// TestRealShellsContractNames exports the contract's own names.
func TestRealShellsContractNames(t *testing.T) {
	var vars []Var
	for _, n := range Names() {
		vars = append(vars, Var{n, n + " 'value' $(touch PWNED)"})
	}
	for _, rs := range realShells {
		t.Run(rs.name, func(t *testing.T) {
			requireShell(t, rs)
			script, err := Export(rs.shell, vars)
			if err != nil {
				t.Fatal(err)
			}
			env, stderr, err := runShell(t, rs, "C.UTF-8", script)
			if err != nil || stderr != "" {
				t.Fatalf("failed: %v; stderr:\n%s", err, stderr)
			}
			for _, v := range vars {
				if env[v.Name] != v.Value {
					t.Errorf("%s = %q, want %q", v.Name, env[v.Name], v.Value)
				}
			}
		})
	}
}

func TestRealShellsUnset(t *testing.T) {
	names := Names()
	var start []string
	for _, n := range names {
		start = append(start, n+"=old")
	}
	for _, rs := range realShells {
		t.Run(rs.name, func(t *testing.T) {
			requireShell(t, rs)
			script, err := Unset(rs.shell, names)
			if err != nil {
				t.Fatal(err)
			}
			env, stderr, err := runShell(t, rs, "C.UTF-8", script, start...)
			if err != nil || stderr != "" {
				t.Fatalf("failed: %v; stderr:\n%s", err, stderr)
			}
			if _, ok := env["PATH"]; !ok {
				t.Fatal("env -0 did not run")
			}
			for _, n := range names {
				if v, ok := env[n]; ok {
					t.Errorf("%s still set to %q", n, v)
				}
			}
		})
	}
}

// TestRealShellsWrongShell evaluates each syntax in the other family of shells,
// as a user with a misdetected shell would: the result may be errors or wrong
// values, but no value may run code. One process per value, so that one
// shell error (dash exits on a failed special builtin; fish parses a whole
// file before it runs any of it) cannot hide the others.
func TestRealShellsWrongShell(t *testing.T) {
	values := append(append([]string{}, nastyValues...), randomValues(50, 3)...)
	for _, rs := range realShells {
		switch rs.name {
		case "sh", "bash", "zsh", "fish":
		default:
			continue
		}
		other := Fish
		if rs.shell == Fish {
			other = Sh
		}
		t.Run(string(other)+"-in-"+rs.name, func(t *testing.T) {
			requireShell(t, rs)
			for _, v := range values {
				script, err := Export(other, []Var{{"V", v}})
				if err != nil {
					t.Fatal(err)
				}
				runShell(t, rs, "C.UTF-8", script)
			}
		})
	}
}
