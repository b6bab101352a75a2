package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/devicesim/simtest"
	"github.com/snowsts/snowsts/pkg/profile"
	"github.com/snowsts/snowsts/pkg/session"
)

// cachedOnlyRole is a role that only the session cache knows: the device does
// not list it, so seeing it proves the cache was read.
const cachedOnlyRole = "arn:aws:iam::123456789012:role/cached-only"

// completionEnv sets up, in a temp dir, what the completion functions read: a
// device profile "snow" pointing at a simulated device, a hand-written
// profile "work", and one cached session. It returns the environment for the
// shell and the device's role ARNs.
func completionEnv(t *testing.T) (env []string, deviceRoles []string) {
	t.Helper()
	dir := t.TempDir()
	sim := simtest.Start(t, simtest.Options{})
	srv, b := sim.Server, sim.Banner

	paths := awsfile.Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	if err := os.WriteFile(paths.Config, []byte("[profile work]\nregion = us-east-1\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	eps := map[string]string{"sts": srv.URL, "iam": srv.URL, "s3": srv.URL, "ec2": srv.URL}
	if _, err := profile.WriteDevice(context.Background(), paths, profile.Device{Name: "snow", Endpoints: eps,
		AccessKeyID: b.AccessKeyID, SecretAccessKey: b.SecretAccessKey}, false); err != nil {
		t.Fatal(err)
	}
	cacheDir := filepath.Join(dir, "cache")
	c := session.New(cacheDir)
	err := c.Put(session.Key{Endpoint: srv.URL, AccessKeyID: b.AccessKeyID, RoleARN: cachedOnlyRole, SessionName: "snowsts-tester", DurationSeconds: 3600},
		&session.Entry{Profile: "snow", Credentials: session.Credentials{AccessKeyID: "ASIACACHEDONLY000001", SecretAccessKey: "cached-secret",
			SessionToken: "cached-token", Expiration: time.Now().Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	env = []string{
		"HOME=" + dir,
		"PATH=" + os.Getenv("PATH"), // testscript.Main put the snowsts binary first
		"AWS_CONFIG_FILE=" + paths.Config,
		"AWS_SHARED_CREDENTIALS_FILE=" + paths.Credentials,
		"SNOWSTS_CACHE_DIR=" + cacheDir,
		"TERM=dumb",
	}
	return env, b.Roles
}

// needTool skips when a tool is missing, but fails under SNOWSTS_INTEGRATION=1.
func needTool(t *testing.T, path, why string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	if _, err := exec.LookPath(path); err == nil {
		return
	}
	if os.Getenv("SNOWSTS_INTEGRATION") == "1" {
		t.Fatalf("%s is missing (%s) and SNOWSTS_INTEGRATION=1 requires it", path, why)
	}
	t.Skipf("skipping: %s is missing (%s)", path, why)
}

// completionScript is the committed script for a shell, as a user installs it.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "completions", completionFiles[shell]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("completion script missing (run .ci/generated): %v", err)
	}
	return p
}

type completionCase struct {
	name string
	line string   // the command line typed so far
	want []string // the values offered, sorted
}

func completionCases(deviceRoles []string) []completionCase {
	roles := append([]string{cachedOnlyRole}, deviceRoles...)
	sort.Strings(roles)
	return []completionCase{
		{"env shell", "snowsts env --shell ", []string{"bash", "cmd", "fish", "powershell", "sh", "zsh"}},
		{"env shell prefix", "snowsts env --shell p", []string{"powershell"}},
		{"assume output", "snowsts assume --output ", []string{"json", "text"}},
		{"profile", "snowsts --profile ", []string{"snow", "work"}},
		{"target profile", "snowsts assume --target-profile w", []string{"work"}},
		{"role arn", "snowsts env --role-arn ", roles},
		{"subcommands", "snowsts comp", []string{"completion"}},
	}
}

// TestFishCompletion sources the committed fish script in a real fish and
// asks it to complete, as `complete -C` does when the user presses Tab.
func TestFishCompletion(t *testing.T) {
	needTool(t, "fish", "the fish shell")
	script := completionScript(t, "fish")
	env, roles := completionEnv(t)
	for _, tc := range completionCases(roles) {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("fish", "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, script, tc.line)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("fish: %v\n%s", err, out)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if v, _, _ := strings.Cut(l, "\t"); v != "" {
					got = append(got, v)
				}
			}
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("complete -C %q = %q, want %q", tc.line, got, tc.want)
			}
		})
	}
}

// bashDriver sources bash-completion and the committed script, splits the
// line as readline does (COMP_WORDBREAKS included, so an ARN's colons split
// it), calls the completion function and prints COMPREPLY one a line.
const bashDriver = `
source /usr/share/bash-completion/bash_completion
source "$1"
line=$2
COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9
COMP_KEY=9
_comp__split() {
	local IFS=$' \t\n' w
	COMP_WORDS=()
	for w in $1; do
		# readline also breaks words at the COMP_WORDBREAKS characters, keeping them as words
		while [[ $w == *:* ]]; do COMP_WORDS+=("${w%%:*}" ":"); w=${w#*:}; done
		COMP_WORDS+=("$w")
	done
	[[ $1 == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
}
_comp__split "$line"
__start_snowsts snowsts "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"
`

// TestBashCompletion runs the committed bash script's completion function in
// a real bash with bash-completion loaded and checks COMPREPLY.
func TestBashCompletion(t *testing.T) {
	needTool(t, "bash", "the bash shell")
	needTool(t, "/usr/share/bash-completion/bash_completion", "Debian package bash-completion, which cobra's bash script needs")
	script := completionScript(t, "bash")
	env, roles := completionEnv(t)
	cases := completionCases(roles)
	// Bash replaces only the word after the last ':' (COMP_WORDBREAKS), so the
	// script offers the ARN's tail there.
	cases = append(cases, completionCase{"role arn after colon", "snowsts env --role-arn arn:aws:iam::123456789012:role/o",
		[]string{"role/operator", "role/ops/auditor"}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("bash", "--norc", "--noprofile", "-c", bashDriver, "bash", script, tc.line)
			cmd.Env = env
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				// bash shows descriptions only when listing several values; the value is before them.
				if v := strings.TrimSpace(strings.SplitN(l, "  (", 2)[0]); v != "" {
					got = append(got, v)
				}
			}
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("COMPREPLY for %q = %q, want %q", tc.line, got, tc.want)
			}
		})
	}
}
