package shellenv

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

func TestParseShell(t *testing.T) {
	tests := []struct {
		name, in string
		want     Shell
		wantErr  bool
	}{
		{name: "sh", in: "sh", want: Sh},
		{name: "bash", in: "bash", want: Bash},
		{name: "zsh", in: "zsh", want: Zsh},
		{name: "fish", in: "fish", want: Fish},
		{name: "powershell", in: "powershell", want: PowerShell},
		{name: "pwsh alias", in: "pwsh", want: PowerShell},
		{name: "cmd", in: "cmd", want: Cmd},
		{name: "upper case", in: "BASH", want: Bash},
		{name: "surrounding space", in: " zsh ", want: Zsh},
		{name: "empty", in: "", wantErr: true},
		{name: "csh", in: "csh", wantErr: true},
		{name: "path is not a name", in: "/bin/bash", wantErr: true},
		{name: "exe suffix is not a name", in: "cmd.exe", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseShell(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseShell(%q) = %q, want error", tt.in, got)
				}
				if !errors.Is(err, ErrUnknownShell) {
					t.Errorf("error %v does not wrap ErrUnknownShell", err)
				}
				if exitcode.Of(err) != exitcode.Usage {
					t.Errorf("exit code %d, want %d", exitcode.Of(err), exitcode.Usage)
				}
				for _, s := range Shells() {
					if !strings.Contains(err.Error(), string(s)) {
						t.Errorf("error %q does not list %q", err, s)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseShell(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	const winPS = `C:\Users\op\Documents\WindowsPowerShell\Modules;C:\Program Files\WindowsPowerShell\Modules;C:\WINDOWS\system32\WindowsPowerShell\v1.0\Modules`
	const winCmd = `C:\Program Files\WindowsPowerShell\Modules;C:\WINDOWS\system32\WindowsPowerShell\v1.0\Modules`
	tests := []struct {
		name string
		env  map[string]string
		want Shell
	}{
		{name: "nothing", env: nil, want: Sh},
		{name: "bash", env: map[string]string{"SHELL": "/bin/bash"}, want: Bash},
		{name: "zsh in homebrew", env: map[string]string{"SHELL": "/opt/homebrew/bin/zsh"}, want: Zsh},
		{name: "fish", env: map[string]string{"SHELL": "/usr/bin/fish"}, want: Fish},
		{name: "pwsh on linux", env: map[string]string{"SHELL": "/usr/bin/pwsh"}, want: PowerShell},
		{name: "dash reads sh", env: map[string]string{"SHELL": "/bin/dash"}, want: Sh},
		{name: "ksh reads sh", env: map[string]string{"SHELL": "/bin/ksh"}, want: Sh},
		{name: "sh", env: map[string]string{"SHELL": "/bin/sh"}, want: Sh},
		{name: "unknown program gives sh", env: map[string]string{"SHELL": "/bin/tcsh"}, want: Sh},
		{name: "bare name", env: map[string]string{"SHELL": "zsh"}, want: Zsh},
		{name: "login dash prefix", env: map[string]string{"SHELL": "-bash"}, want: Bash},
		{name: "windows path with exe", env: map[string]string{"SHELL": `C:\Program Files\Git\usr\bin\bash.exe`}, want: Bash},
		{name: "SHELL wins over PSModulePath", env: map[string]string{"SHELL": "/bin/bash", "PSModulePath": winPS}, want: Bash},
		{name: "windows powershell", env: map[string]string{"PSModulePath": winPS, "ComSpec": `C:\WINDOWS\system32\cmd.exe`}, want: PowerShell},
		{name: "windows cmd", env: map[string]string{"PSModulePath": winCmd, "ComSpec": `C:\WINDOWS\system32\cmd.exe`}, want: Cmd},
		{name: "empty entries do not count", env: map[string]string{"PSModulePath": "a;;b;", "ComSpec": `cmd.exe`}, want: Cmd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Detect(func(k string) string { return tt.env[k] })
			if got != tt.want {
				t.Errorf("Detect(%v) = %q, want %q", tt.env, got, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	want := []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
		"AWS_DEFAULT_REGION", "AWS_CREDENTIAL_EXPIRATION", "AWS_ENDPOINT_URL_STS",
		"AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_EC2", "AWS_CA_BUNDLE",
	}
	got := Names()
	if !slices.Equal(got, want) {
		t.Fatalf("Names() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if Names()[0] != want[0] {
		t.Error("Names returns shared storage")
	}
	for _, n := range want {
		if err := checkName(n); err != nil {
			t.Errorf("contract name %s: %v", n, err)
		}
	}
}
