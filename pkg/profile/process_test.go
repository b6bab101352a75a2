package profile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// quoteCases are argument lists with every kind of character a path or a
// role ARN can bring.
var quoteCases = []struct {
	name string
	args []string
}{
	{"plain", []string{"/usr/local/bin/snowsts", "credential-process", "--profile", "snow", "--role-arn", "arn:aws:iam::123456789012:role/admin", "--duration-seconds", "3600"}},
	{"space in path", []string{"/home/op/My Tools/snowsts", "credential-process", "--duration-seconds", "900"}},
	{"single quote", []string{"/home/o'brien/snowsts", "--role-session-name", "o'b", "x"}},
	{"double quote", []string{`/tmp/a"b/snowsts`, "x"}},
	{"dollar and backtick", []string{"/tmp/$HOME/`id`/snowsts", "arn:aws:iam::123456789012:role/p$x`y`/n", "x"}},
	{"backslash", []string{`/tmp/a\b\"c\\/snowsts`, `--x=\n`, "x"}},
	{"shell operators", []string{"/tmp/a;b&c|d>e<f(g)h*i?j[k]~l{m}!n#o/snowsts", "a&&b", "x"}},
	{"hash and semicolon after a slash", []string{"/tmp/#dir/;x/snowsts", "x"}},
	{"unicode", []string{"/tmp/Ünïcødé ☃/snowsts", "x"}},
	{"percent", []string{"/tmp/100%/snowsts", "x"}},
	{"arn with every path char", []string{"/s", "arn:aws:iam::123456789012:role/a!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~/n", "x"}},
}

func TestQuoteCommandRealConsumers(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the unix consumers (sh -c, shlex.split) are tested on unix")
	}
	var cmds []string
	for _, tc := range quoteCases {
		s, err := QuoteCommand(tc.args, runtime.GOOS)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if s[0] != '"' && s[0] != '\'' {
			t.Errorf("%s: the program is not quoted: %s", tc.name, s)
		}
		if got, err := shlexSplit(s); err != nil || !reflect.DeepEqual(got, tc.args) {
			t.Errorf("%s: Go shlex model splits %s into %q (%v)", tc.name, s, got, err)
		}
		cmds = append(cmds, s)
	}

	t.Run("sh -c, as the Go SDK runs it", func(t *testing.T) {
		sh, err := exec.LookPath("sh")
		if err != nil {
			t.Skip("no sh")
		}
		// sh's `set --` lets the shell split the value exactly as `sh -c` would
		// run it, with the program as the first word.
		for i, tc := range quoteCases {
			out, err := exec.Command(sh, "-c", "set -- "+cmds[i]+`; for a; do printf '%s\0' "$a"; done`).Output()
			if err != nil {
				t.Fatalf("%s: sh: %v", tc.name, err)
			}
			got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
			if !reflect.DeepEqual(got, tc.args) {
				t.Errorf("%s: sh splits %s into %q, want %q", tc.name, cmds[i], got, tc.args)
			}
		}
	})

	t.Run("botocore compat_shell_split", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			requirePeer(t, "python3")
		}
		in, _ := json.Marshal(cmds)
		cmd := exec.Command(py, "-c", `
import json, sys
try:
    from botocore.compat import compat_shell_split as split
except ImportError:
    import shlex
    split = shlex.split
print(json.dumps([split(c) for c in json.load(sys.stdin)]))`)
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("python3: %v", err)
		}
		var got [][]string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		for i, tc := range quoteCases {
			if !reflect.DeepEqual(got[i], tc.args) {
				t.Errorf("%s: botocore splits %s into %q, want %q", tc.name, cmds[i], got[i], tc.args)
			}
		}
	})
}

// requirePeer skips without the tool, and fails when SNOWSTS_INTEGRATION=1.
func requirePeer(t *testing.T, tool string) {
	t.Helper()
	if os.Getenv("SNOWSTS_INTEGRATION") == "1" {
		t.Fatalf("%s is required with SNOWSTS_INTEGRATION=1", tool)
	}
	t.Skipf("%s is not installed", tool)
}

func TestQuoteCommandRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		goos string
	}{
		{"no args", nil, "linux"},
		{"empty arg", []string{"/s", ""}, "linux"},
		{"newline", []string{"/s", "a\nb"}, "linux"},
		{"tab", []string{"/tmp/a\tb/snowsts", "x"}, "linux"},
		{"NUL", []string{"/s", "a\x00b"}, "linux"},
		{"bad utf-8", []string{"/s", "a\xffb"}, "linux"},
		{"go sdk inline comment", []string{"/tmp/a #b/snowsts", "x"}, "linux"},
		{"go sdk inline comment ;", []string{"/tmp/a ;b/snowsts", "x"}, "linux"},
		{"quoted last argument", []string{"/s", "a b"}, "linux"},
		{"windows quote", []string{`C:\a"b\snowsts.exe`, "x"}, "windows"},
		{"windows percent", []string{`C:\%PATH%\snowsts.exe`, "x"}, "windows"},
		{"windows trailing backslash", []string{`C:\x`, `a b\`, "x"}, "windows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := QuoteCommand(tc.args, tc.goos)
			if !errors.Is(err, ErrUnquotable) {
				t.Fatalf("QuoteCommand(%q) = %q, %v; want ErrUnquotable", tc.args, s, err)
			}
		})
	}
}

func TestQuoteCommandWindows(t *testing.T) {
	got, err := QuoteCommand([]string{`C:\Program Files\snowsts\snowsts.exe`, "credential-process", "--role-arn", "arn:aws:iam::123456789012:role/a$b", "x"}, "windows")
	want := `"C:\Program Files\snowsts\snowsts.exe" credential-process --role-arn "arn:aws:iam::123456789012:role/a$b" x`
	if err != nil || got != want {
		t.Fatalf("got %s, %v; want %s", got, err, want)
	}
}

// FuzzQuoteCommand checks that any argument list QuoteCommand accepts splits
// back into itself under shlex's POSIX rules (botocore's splitter), and that
// the value survives the Go SDK's INI reader (no inline comment, no wrapping
// quotes).
func FuzzQuoteCommand(f *testing.F) {
	for _, tc := range quoteCases {
		f.Add(strings.Join(tc.args, "\x1f"))
	}
	f.Add("/a b\x1f'\"\\$`\x1fx")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x1f")
		s, err := QuoteCommand(args, "linux")
		if err != nil {
			return
		}
		got, err := shlexSplit(s)
		if err != nil || !reflect.DeepEqual(got, args) {
			t.Fatalf("QuoteCommand(%q) = %s, which splits into %q (%v)", args, s, got, err)
		}
		for _, c := range []string{" #", " ;", "\t#", "\t;"} {
			if strings.Contains(s, c) {
				t.Fatalf("%s holds %q", s, c)
			}
		}
		if strings.TrimSpace(s) != s {
			t.Fatalf("%q has surrounding space the INI readers would trim", s)
		}
	})
}

// shlexSplit is Python's shlex.split (posix=True, no comments): the splitter
// botocore uses for credential_process on unix.
func shlexSplit(s string) ([]string, error) {
	var out []string
	var tok strings.Builder
	inTok := false
	const ws = " \t\r\n"
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case strings.ContainsRune(ws, c):
			if inTok {
				out = append(out, tok.String())
				tok.Reset()
				inTok = false
			}
		case c == '\\':
			inTok = true
			i++
			if i == len(rs) {
				return nil, errors.New("no escaped character")
			}
			tok.WriteRune(rs[i])
		case c == '\'':
			inTok = true
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j == len(rs) {
				return nil, errors.New("no closing quotation")
			}
			tok.WriteString(string(rs[i+1 : j]))
			i = j
		case c == '"':
			inTok = true
			i++
			for ; i < len(rs) && rs[i] != '"'; i++ {
				if rs[i] == '\\' && i+1 < len(rs) {
					if n := rs[i+1]; n == '"' || n == '\\' {
						tok.WriteRune(n)
						i++
						continue
					}
				}
				tok.WriteRune(rs[i])
			}
			if i == len(rs) {
				return nil, errors.New("no closing quotation")
			}
		default:
			inTok = true
			tok.WriteRune(c)
		}
	}
	if inTok {
		out = append(out, tok.String())
	}
	return out, nil
}

func testPaths(t *testing.T) awsfile.Paths {
	dir := t.TempDir()
	return awsfile.Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
}

func TestWriteProcess(t *testing.T) {
	ctx := context.Background()
	cmd, err := QuoteCommand([]string{"/opt/my tools/snowsts", "credential-process", "--profile", "snow", "--role-arn",
		"arn:aws:iam::123456789012:role/admin", "--role-session-name", "snowsts-op", "--duration-seconds", "3600"}, "linux")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		config      string
		credentials string
		force       bool
		wantCode    int      // 0: success
		wantConfig  []string // lines that must be in the config file afterwards
		notConfig   []string // substrings that must not be
		wantCreds   string   // exact credentials file afterwards ("-": untouched)
	}{
		{
			name:       "new",
			wantConfig: []string{"[profile ops]", "region = snow", "services = snow", "credential_process = " + cmd, "x_snowsts_managed = true", "x_snowsts_kind = process", "ca_bundle = /ca.pem"},
			wantCreds:  "-",
		},
		{
			name:        "replaces a managed assumed profile and its static credentials",
			config:      "[profile ops]\nregion = snow\nservices = snow\nx_snowsts_managed = true\nx_snowsts_kind = assumed\nx_snowsts_role_arn = arn:aws:iam::123456789012:role/admin\nmine = kept\n",
			credentials: "[other]\naws_access_key_id = A\n\n[ops]\naws_access_key_id = ASIA\naws_secret_access_key = S\naws_session_token = T\nx_snowsts_managed = true\n",
			wantConfig:  []string{"x_snowsts_kind = process", "mine = kept", "credential_process = " + cmd},
			notConfig:   []string{"x_snowsts_role_arn"},
			wantCreds:   "[other]\naws_access_key_id = A\n",
		},
		{
			name:     "hand-written config section",
			config:   "[profile ops]\nregion = us-east-1\n",
			wantCode: exitcode.Config,
		},
		{
			name:       "hand-written config section with force",
			config:     "[profile ops]\nregion = us-east-1\n",
			force:      true,
			wantConfig: []string{"region = snow", "x_snowsts_kind = process"},
			wantCreds:  "-",
		},
		{
			name:        "hand-written credentials would shadow credential_process",
			credentials: "[ops]\naws_access_key_id = A\naws_secret_access_key = S\n",
			wantCode:    exitcode.Config,
		},
		{
			name:        "hand-written credentials removed with force",
			credentials: "[ops]\naws_access_key_id = A\naws_secret_access_key = S\n",
			force:       true,
			wantConfig:  []string{"x_snowsts_kind = process"},
			wantCreds:   "",
		},
		{
			name:     "device profile",
			config:   "[profile ops]\nregion = snow\nx_snowsts_managed = true\nx_snowsts_kind = device\n",
			force:    true,
			wantCode: exitcode.Config,
		},
		{
			name:        "device keys in the credentials file",
			credentials: "[ops]\naws_access_key_id = A\naws_secret_access_key = S\nx_snowsts_managed = true\n",
			force:       true,
			wantCode:    exitcode.Config,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			paths := testPaths(t)
			for p, c := range map[string]string{paths.Config: tc.config, paths.Credentials: tc.credentials} {
				if c != "" {
					if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			_, err := WriteProcess(ctx, paths, Process{Name: "ops", ServicesName: "snow", CABundle: "/ca.pem", Command: cmd}, tc.force)
			if tc.wantCode != 0 {
				if exitcode.Of(err) != tc.wantCode {
					t.Fatalf("err = %v (code %d), want code %d", err, exitcode.Of(err), tc.wantCode)
				}
				if b, _ := os.ReadFile(paths.Config); string(b) != tc.config {
					t.Errorf("config changed on refusal:\n%s", b)
				}
				if b, _ := os.ReadFile(paths.Credentials); string(b) != tc.credentials {
					t.Errorf("credentials changed on refusal:\n%s", b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(paths.Config)
			lines := strings.Split(string(b), "\n")
			for _, w := range tc.wantConfig {
				if !contains(lines, w) {
					t.Errorf("config lacks line %q:\n%s", w, b)
				}
			}
			for _, n := range tc.notConfig {
				if strings.Contains(string(b), n) {
					t.Errorf("config still has %q:\n%s", n, b)
				}
			}
			c, _ := os.ReadFile(paths.Credentials)
			if tc.wantCreds != "-" && string(c) != tc.wantCreds {
				t.Errorf("credentials = %q, want %q", c, tc.wantCreds)
			}
			if tc.wantCreds == "-" && string(c) != tc.credentials {
				t.Errorf("credentials changed: %q", c)
			}
			// The Go SDK reads the command back exactly.
			sc, err := config.LoadSharedConfigProfile(ctx, "ops", func(o *config.LoadSharedConfigOptions) {
				o.ConfigFiles = []string{paths.Config}
				o.CredentialsFiles = []string{paths.Credentials}
			})
			if err != nil {
				t.Fatal(err)
			}
			if sc.CredentialProcess != cmd {
				t.Errorf("Go SDK reads credential_process %q, want %q", sc.CredentialProcess, cmd)
			}
			if sc.Credentials.HasKeys() {
				t.Errorf("static keys remain for the profile")
			}
		})
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
