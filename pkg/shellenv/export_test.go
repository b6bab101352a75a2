package shellenv

import (
	"errors"
	"strings"
	"testing"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// sampleVars is what `snowsts env` prints for a typical profile; the CA bundle
// path holds a quote and a space, the secret a / and a +.
var sampleVars = []Var{
	{AccessKeyID, "ASIAEXAMPLE"},
	{SecretAccessKey, "wJalr/K7MDENG+bPxRfi"},
	{Region, "snow"},
	{EndpointURLSTS, "http://192.0.2.10:7078"},
	{CABundle, `/home/o'neil/ca cert.pem`},
}

func TestExportGolden(t *testing.T) {
	tests := []struct {
		shell Shell
		want  string
	}{
		{Sh, `export AWS_ACCESS_KEY_ID='ASIAEXAMPLE'
export AWS_SECRET_ACCESS_KEY='wJalr/K7MDENG+bPxRfi'
export AWS_REGION='snow'
export AWS_ENDPOINT_URL_STS='http://192.0.2.10:7078'
export AWS_CA_BUNDLE='/home/o'\''neil/ca cert.pem'
# Run: eval "$(snowsts env --shell sh)"
`},
		{Bash, `export AWS_ACCESS_KEY_ID='ASIAEXAMPLE'
export AWS_SECRET_ACCESS_KEY='wJalr/K7MDENG+bPxRfi'
export AWS_REGION='snow'
export AWS_ENDPOINT_URL_STS='http://192.0.2.10:7078'
export AWS_CA_BUNDLE='/home/o'\''neil/ca cert.pem'
# Run: eval "$(snowsts env --shell bash)"
`},
		{Zsh, `export AWS_ACCESS_KEY_ID='ASIAEXAMPLE'
export AWS_SECRET_ACCESS_KEY='wJalr/K7MDENG+bPxRfi'
export AWS_REGION='snow'
export AWS_ENDPOINT_URL_STS='http://192.0.2.10:7078'
export AWS_CA_BUNDLE='/home/o'\''neil/ca cert.pem'
# Run: eval "$(snowsts env --shell zsh)"
`},
		{Fish, `set -gx AWS_ACCESS_KEY_ID 'ASIAEXAMPLE';
set -gx AWS_SECRET_ACCESS_KEY 'wJalr/K7MDENG+bPxRfi';
set -gx AWS_REGION 'snow';
set -gx AWS_ENDPOINT_URL_STS 'http://192.0.2.10:7078';
set -gx AWS_CA_BUNDLE '/home/o'\''neil/ca cert.pem';
# Run: snowsts env --shell fish | source
`},
		{PowerShell, `$Env:AWS_ACCESS_KEY_ID = 'ASIAEXAMPLE'
$Env:AWS_SECRET_ACCESS_KEY = 'wJalr/K7MDENG+bPxRfi'
$Env:AWS_REGION = 'snow'
$Env:AWS_ENDPOINT_URL_STS = 'http://192.0.2.10:7078'
$Env:AWS_CA_BUNDLE = '/home/o''neil/ca cert.pem'
# Run: snowsts env --shell powershell | Invoke-Expression
`},
		{Cmd, `set "AWS_ACCESS_KEY_ID=ASIAEXAMPLE"
set "AWS_SECRET_ACCESS_KEY=wJalr/K7MDENG+bPxRfi"
set "AWS_REGION=snow"
set "AWS_ENDPOINT_URL_STS=http://192.0.2.10:7078"
set "AWS_CA_BUNDLE=/home/o'neil/ca cert.pem"
REM Run: for /f "delims=" %i in ('snowsts env --shell cmd') do @%i
`},
	}
	for _, tt := range tests {
		t.Run(string(tt.shell), func(t *testing.T) {
			got, err := Export(tt.shell, sampleVars)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Export(%s) =\n%s\nwant\n%s", tt.shell, got, tt.want)
			}
		})
	}
}

func TestUnsetGolden(t *testing.T) {
	names := []string{AccessKeyID, CABundle}
	tests := []struct {
		shell Shell
		want  string
	}{
		{Sh, "unset AWS_ACCESS_KEY_ID\nunset AWS_CA_BUNDLE\n# Run: eval \"$(snowsts env --shell sh --unset)\"\n"},
		{Bash, "unset AWS_ACCESS_KEY_ID\nunset AWS_CA_BUNDLE\n# Run: eval \"$(snowsts env --shell bash --unset)\"\n"},
		{Zsh, "unset AWS_ACCESS_KEY_ID\nunset AWS_CA_BUNDLE\n# Run: eval \"$(snowsts env --shell zsh --unset)\"\n"},
		{Fish, "set -e AWS_ACCESS_KEY_ID;\nset -e AWS_CA_BUNDLE;\n# Run: snowsts env --shell fish --unset | source\n"},
		{PowerShell, "Remove-Item Env:AWS_ACCESS_KEY_ID -ErrorAction SilentlyContinue\n" +
			"Remove-Item Env:AWS_CA_BUNDLE -ErrorAction SilentlyContinue\n" +
			"# Run: snowsts env --shell powershell --unset | Invoke-Expression\n"},
		{Cmd, "set \"AWS_ACCESS_KEY_ID=\"\nset \"AWS_CA_BUNDLE=\"\n" +
			"REM Run: for /f \"delims=\" %i in ('snowsts env --shell cmd --unset') do @%i\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.shell), func(t *testing.T) {
			got, err := Unset(tt.shell, names)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Unset(%s) =\n%s\nwant\n%s", tt.shell, got, tt.want)
			}
		})
	}
}

func TestExportSpecialValuesGolden(t *testing.T) {
	tests := []struct {
		name  string
		shell Shell
		value string
		want  string
	}{
		{"sh empty", Sh, "", "export V=''\n"},
		{"sh backslash outside quotes", Bash, `a\b`, `export V='a'\\'b'` + "\n"},
		{"sh two quotes never adjacent in a quoted run", Zsh, "a''b", `export V='a'\'\''b'` + "\n"},
		{"sh newline stays inside quotes", Sh, "a\nb", "export V='a\nb'\n"},
		{"sh utf-8 raw", Bash, "€", "export V='€'\n"},
		{"fish newline escaped", Fish, "a\nb", `set -gx V 'a'\x0a'b';` + "\n"},
		{"fish non-ascii as raw bytes", Fish, "€", `set -gx V \XE2\X82\XAC;` + "\n"},
		{"fish backslash and quote", Fish, `\'`, `set -gx V \\\';` + "\n"},
		{"fish empty", Fish, "", "set -gx V '';\n"},
		{"powershell empty", PowerShell, "", "$Env:V = ''\n"},
		{"powershell smart quote as char", PowerShell, "a\u2019b", "$Env:V = 'a' + [char]0x2019 + 'b'\n"},
		{"powershell leading non-ascii", PowerShell, "\u2018x", "$Env:V = '' + [char]0x2018 + 'x'\n"},
		{"powershell newline", PowerShell, "a\r\n", "$Env:V = 'a' + [char]0x000D + [char]0x000A\n"},
		{"powershell surrogate pair", PowerShell, "😀", "$Env:V = '' + [char]0xD83D + [char]0xDE00\n"},
		{"powershell dollar literal", PowerShell, "$(x)", "$Env:V = '$(x)'\n"},
		{"cmd metacharacters in quotes", Cmd, "a&b|c<d>e(f)", "set \"V=a&b|c<d>e(f)\"\n"},
		{"cmd empty", Cmd, "", "set \"V=\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Export(tt.shell, []Var{{"V", tt.value}})
			if err != nil {
				t.Fatal(err)
			}
			got = got[:strings.LastIndex(got[:len(got)-1], "\n")+1] // drop the hint line
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExportErrors(t *testing.T) {
	const secret = "s3cr3t-VALUE"
	tests := []struct {
		name     string
		shell    Shell
		vars     []Var
		wantErr  error
		wantCode int
	}{
		{"unknown shell", "tcsh", []Var{{"A", "x"}}, ErrUnknownShell, exitcode.Failure},
		{"name with dash", Sh, []Var{{"AWS-KEY", "x"}}, ErrInvalidName, exitcode.Failure},
		{"name with space", Fish, []Var{{"A B", "x"}}, ErrInvalidName, exitcode.Failure},
		{"name starting with digit", Bash, []Var{{"1A", "x"}}, ErrInvalidName, exitcode.Failure},
		{"empty name", PowerShell, []Var{{"", "x"}}, ErrInvalidName, exitcode.Failure},
		{"name with injection", Sh, []Var{{"A=1;touch x;B", "x"}}, ErrInvalidName, exitcode.Failure},
		{"nul in sh", Sh, []Var{{"A", secret + "\x00"}}, ErrUnsafeValue, exitcode.Config},
		{"nul in fish", Fish, []Var{{"A", "\x00" + secret}}, ErrUnsafeValue, exitcode.Config},
		{"nul in powershell", PowerShell, []Var{{"A", secret + "\x00"}}, ErrUnsafeValue, exitcode.Config},
		{"nul in cmd", Cmd, []Var{{"A", secret + "\x00"}}, ErrUnsafeValue, exitcode.Config},
		{"invalid utf-8 in powershell", PowerShell, []Var{{"A", secret + "\xff"}}, ErrUnsafeValue, exitcode.Config},
		{"percent in cmd", Cmd, []Var{{"A", secret + "%PATH%"}}, ErrUnsafeValue, exitcode.Config},
		{"double quote in cmd", Cmd, []Var{{"A", secret + `"&calc`}}, ErrUnsafeValue, exitcode.Config},
		{"bang in cmd", Cmd, []Var{{"A", secret + "!x!"}}, ErrUnsafeValue, exitcode.Config},
		{"caret in cmd", Cmd, []Var{{"A", secret + "^"}}, ErrUnsafeValue, exitcode.Config},
		{"newline in cmd", Cmd, []Var{{"A", secret + "\r\ncalc"}}, ErrUnsafeValue, exitcode.Config},
		{"non-ascii in cmd", Cmd, []Var{{"A", secret + "é"}}, ErrUnsafeValue, exitcode.Config},
		{"later bad value gives no script", Sh, []Var{{"A", "fine"}, {"B", secret + "\x00"}}, ErrUnsafeValue, exitcode.Config},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Export(tt.shell, tt.vars)
			if err == nil {
				t.Fatalf("Export = %q, want error", got)
			}
			if got != "" {
				t.Errorf("Export returned a script with the error: %q", got)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v does not wrap %v", err, tt.wantErr)
			}
			if c := exitcode.Of(err); c != tt.wantCode {
				t.Errorf("exit code %d, want %d", c, tt.wantCode)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(exitcode.HintOf(err), secret) {
				t.Errorf("error leaks the value: %v", err)
			}
		})
	}
}

func TestExportCmdHint(t *testing.T) {
	_, err := Export(Cmd, []Var{{CABundle, `C:\100%\ca.pem`}})
	if h := exitcode.HintOf(err); !strings.Contains(h, "--shell powershell") {
		t.Errorf("hint %q does not suggest --shell powershell", h)
	}
	if !strings.Contains(err.Error(), CABundle) {
		t.Errorf("error %q does not name the variable", err)
	}
}

func TestUnsetErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		shell   Shell
		names   []string
		wantErr error
	}{
		{"unknown shell", "csh", []string{"A"}, ErrUnknownShell},
		{"bad name", Sh, []string{"A", "B;rm"}, ErrInvalidName},
		{"bad name powershell", PowerShell, []string{"A -Force; calc"}, ErrInvalidName},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unset(tt.shell, tt.names)
			if !errors.Is(err, tt.wantErr) || got != "" {
				t.Errorf("Unset = %q, %v; want no script and %v", got, err, tt.wantErr)
			}
		})
	}
}

func TestOutputEndsWithNewline(t *testing.T) {
	for _, sh := range Shells() {
		for _, vars := range [][]Var{nil, {{"A", "x"}}} {
			out, err := Export(sh, vars)
			if err != nil || !strings.HasSuffix(out, "\n") {
				t.Errorf("Export(%s, %v) = %q, %v", sh, vars, out, err)
			}
		}
		out, err := Unset(sh, Names())
		if err != nil || !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != len(Names())+1 {
			t.Errorf("Unset(%s) = %q, %v", sh, out, err)
		}
	}
}
