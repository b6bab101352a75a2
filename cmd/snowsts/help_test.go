package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// helpRoot is the command tree as `snowsts --help` shows it, built with an
// empty environment.
func helpRoot(t *testing.T) *cobra.Command {
	t.Helper()
	return docsRoot(&bytes.Buffer{})
}

// allCommands lists c and every command below it, hidden ones included.
func allCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, s := range c.Commands() {
		out = append(out, allCommands(s)...)
	}
	return out
}

// TestEveryCommandHasHelp fails for a command without Long help or without an
// Example: `--help`, the man pages and the CLI reference are made from them.
func TestEveryCommandHasHelp(t *testing.T) {
	cmds := allCommands(helpRoot(t))
	if len(cmds) < 5 {
		t.Fatalf("found only %d commands; is the tree built?", len(cmds))
	}
	for _, c := range cmds {
		t.Run(c.CommandPath(), func(t *testing.T) {
			if strings.TrimSpace(c.Short) == "" {
				t.Errorf("%q has no Short description", c.CommandPath())
			}
			if strings.TrimSpace(c.Long) == "" {
				t.Errorf("%q has no Long help", c.CommandPath())
			}
			if strings.TrimSpace(c.Example) == "" {
				t.Errorf("%q has no Example", c.CommandPath())
			}
			for _, line := range strings.Split(c.Example, "\n") {
				if line != "" && !strings.HasPrefix(line, "  ") {
					t.Errorf("%q: Example line %q is not indented by two spaces like the others", c.CommandPath(), line)
				}
			}
			if c.Runnable() && !strings.Contains(c.Example, c.Root().Name()) {
				t.Errorf("%q: Example does not show a snowsts command line", c.CommandPath())
			}
		})
	}
}

// TestFlagCompletions fails for a flag whose values the shell should complete
// but cannot: every --output, --shell, --role-arn, --target-profile and the
// root's --profile.
func TestFlagCompletions(t *testing.T) {
	root := helpRoot(t)
	if _, ok := root.GetFlagCompletionFunc("profile"); !ok {
		t.Errorf("root --profile has no completion")
	}
	checked := 0
	for _, c := range allCommands(root) {
		for _, name := range []string{"output", "shell", "role-arn", "target-profile"} {
			if c.LocalNonPersistentFlags().Lookup(name) == nil {
				continue
			}
			checked++
			if _, ok := c.GetFlagCompletionFunc(name); !ok {
				t.Errorf("%s --%s has no completion function (RegisterFlagCompletionFunc)", c.CommandPath(), name)
			}
		}
	}
	if checked < 4 {
		t.Errorf("checked only %d flags; expected at least assume and env's", checked)
	}
}

// TestFixedFlagValues checks that the fixed completions offer what the
// contract allows, through cobra's own __complete protocol.
func TestFixedFlagValues(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"env shell", []string{"env", "--shell", ""}, []string{"sh", "bash", "zsh", "fish", "powershell", "cmd"}},
		{"assume output", []string{"assume", "--output", ""}, []string{"text", "json"}},
		{"completion shells", []string{"completion", ""}, []string{"bash", "zsh", "fish", "powershell"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			root := docsRoot(&out)
			root.SetArgs(append([]string{cobra.ShellCompNoDescRequestCmd}, tt.args...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			got := completionValues(out.String())
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("completions = %q, want %q", got, tt.want)
			}
		})
	}
}

// completionValues parses __complete output: one value a line, then ":N".
func completionValues(s string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.HasPrefix(line, ":") || strings.HasPrefix(line, "Completion ended") || line == "" {
			continue
		}
		v, _, _ := strings.Cut(line, "\t")
		out = append(out, v)
	}
	return out
}

func TestVersionLine(t *testing.T) {
	tests := []struct {
		name, version, commit, date, want string
	}{
		{"dev build", "dev", "", "", "dev"},
		{"release", "1.2.3", "abc1234", "2026-12-04T16:05:00Z", "1.2.3 (commit abc1234, built 2026-12-04T16:05:00Z)"},
		{"commit only", "1.2.3", "abc1234", "", "1.2.3 (commit abc1234)"},
		{"date only", "1.2.3", "", "2026-12-04T16:05:00Z", "1.2.3 (built 2026-12-04T16:05:00Z)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionLine(tt.version, tt.commit, tt.date); got != tt.want {
				t.Errorf("versionLine = %q, want %q", got, tt.want)
			}
		})
	}
}
