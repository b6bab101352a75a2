package profile

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// ProcessKey is the config key the AWS CLI and SDKs run to get credentials.
const ProcessKey = "credential_process"

// Process is a credential_process profile: [profile Name] with region snow,
// the device's services and ca_bundle, and a command line that runs
// `snowsts credential-process`.
type Process struct {
	Name string
	// ServicesName and CABundle are copied from the device profile.
	ServicesName string
	CABundle     string
	// Command is the credential_process value, already quoted (see QuoteCommand).
	Command string
	// Role is the role session Command serves, recorded with the same keys as
	// an assumed-role profile's so that `clear` can remove its cached
	// sessions; the zero Role records none.
	Role Role
}

// assumedKeys are the keys that record a profile's role session.
var assumedKeys = []string{SourceKey, RoleARNKey, SessionNameKey, DurationKey}

// CheckProcessWritable refuses, before anything is written, a name that is a
// device profile, a hand-written config section (without force), and a
// credentials-file section that would shadow credential_process (the AWS CLI
// and SDKs prefer static keys in the credentials file): a hand-written one is
// refused without force, and long-term device keys always.
func CheckProcessWritable(paths awsfile.Paths, cfg, creds *awsfile.Doc, name string, force bool) error {
	ps := awsfile.ConfigSection(name)
	if k, _ := cfg.Get(ps, KindKey); k == KindDevice && cfg.IsManaged(ps) {
		return exitcode.New(exitcode.Config, fmt.Errorf("profile %q is a device profile; refusing to replace its long-term keys", name),
			"choose another profile name")
	}
	if err := refuseForeign(cfg, ps, paths.Config, force); err != nil {
		return err
	}
	if !creds.Has(name) {
		return nil
	}
	if _, ok := creds.Get(name, "aws_session_token"); !ok && creds.IsManaged(name) {
		return exitcode.New(exitcode.Config, fmt.Errorf("section [%s] in %s holds a device's long-term keys; refusing to remove them", name, paths.Credentials),
			"choose another profile name")
	}
	if force || creds.IsManaged(name) {
		return nil
	}
	return exitcode.New(exitcode.Config,
		fmt.Errorf("section [%s] in %s was not written by snowsts and would take precedence over credential_process", name, paths.Credentials),
		"choose another profile name, or pass --force to remove that section")
}

// WriteProcess writes [profile Name] in the config file, marked as snowsts's
// with x_snowsts_kind = process, and removes a [Name] section from the
// credentials file (its static keys would shadow credential_process). Keys
// the user added to the config section are kept.
func WriteProcess(ctx context.Context, paths awsfile.Paths, p Process, force bool) (Warnings, error) {
	var warn Warnings
	cfg, creds, err := Load(paths)
	if err != nil {
		return nil, err
	}
	if err := CheckProcessWritable(paths, cfg, creds, p.Name, force); err != nil {
		return nil, err
	}
	ps := awsfile.ConfigSection(p.Name)
	r, err := update(ctx, paths.Config, func(doc *awsfile.Doc) error {
		if err := CheckProcessWritable(paths, doc, &awsfile.Doc{}, p.Name, force); err != nil {
			return err
		}
		steps := []func() error{
			func() error { return doc.Set(ps, "region", device.Region) },
			func() error { return doc.Set(ps, "services", p.ServicesName) },
			func() error { return doc.Set(ps, ProcessKey, p.Command) },
			func() error { return doc.MarkManaged(ps) },
			func() error { return doc.Set(ps, KindKey, KindProcess) },
		}
		if r := p.Role; r.RoleARN != "" {
			steps = append(steps,
				func() error { return doc.Set(ps, SourceKey, r.DeviceProfile) },
				func() error { return doc.Set(ps, RoleARNKey, r.RoleARN) },
				func() error { return doc.Set(ps, SessionNameKey, r.SessionName) },
				func() error { return doc.Set(ps, DurationKey, strconv.Itoa(r.DurationSeconds)) })
		} else {
			for _, k := range assumedKeys {
				steps = append(steps, func() error { return doc.Delete(ps, k) })
			}
		}
		if p.CABundle != "" {
			steps = append(steps, func() error { return doc.Set(ps, "ca_bundle", p.CABundle) })
		} else {
			steps = append(steps, func() error { return doc.Delete(ps, "ca_bundle") })
		}
		return run(steps)
	})
	if err != nil {
		return nil, fmt.Errorf("write profile %q: %w", p.Name, err)
	}
	warn.add(r)
	r, err = update(ctx, paths.Credentials, func(doc *awsfile.Doc) error {
		if !doc.Has(p.Name) {
			return nil
		}
		if err := CheckProcessWritable(paths, &awsfile.Doc{}, doc, p.Name, force); err != nil {
			return err
		}
		return doc.DeleteSection(p.Name)
	})
	if err != nil {
		return warn, fmt.Errorf("remove static credentials of profile %q: %w", p.Name, err)
	}
	warn.add(r)
	return warn, nil
}

// ErrUnquotable is wrapped by QuoteCommand's error for an argument that no
// quoting would carry intact to every consumer of credential_process.
var ErrUnquotable = errors.New("cannot be quoted for credential_process")

// QuoteCommand joins args into a credential_process value that both of its
// consumers split back into exactly args:
//
//   - botocore (AWS CLI, boto3) splits it with compat_shell_split: shlex.split
//     (POSIX rules) on unix, a Windows argv splitter on Windows;
//   - the Go SDK (and Terraform) runs it with `sh -c` on unix and `cmd.exe /C`
//     on Windows.
//
// An argument made only of [A-Za-z0-9_+=,.@/:-] is written bare. Otherwise,
// on unix, it is put in double quotes, which shlex and sh both read literally
// when the argument holds none of " \ $ `; an argument that does hold one of
// those is put in single quotes instead, with ' written as '\” (read alike by
// shlex and sh). On Windows it is put in double quotes, and refused when it
// holds " or % or ends in a backslash (cmd.exe and the Windows argv rules give
// those a meaning inside quotes). Control characters and empty arguments are refused
// everywhere, and so is a result the Go SDK's INI reader would cut short
// (" #" or " ;" start an inline comment there). goos is runtime.GOOS.
func QuoteCommand(args []string, goos string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("quote command: %w: no arguments", ErrUnquotable)
	}
	parts := make([]string, 0, len(args))
	for i, a := range args {
		q, err := quoteArg(a, goos)
		if err != nil {
			return "", fmt.Errorf("quote command: argument %d %w", i, err)
		}
		if i == 0 && q == a {
			q = `"` + a + `"` // the program is always quoted, so a path with spaces reads right
		}
		parts = append(parts, q)
	}
	s := strings.Join(parts, " ")
	for _, c := range []string{" #", " ;", "\t#", "\t;"} {
		if strings.Contains(s, c) {
			return "", fmt.Errorf("quote command: %w: %q would start an INI comment for the Go SDK", ErrUnquotable, c)
		}
	}
	if len(s) > 1 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return "", fmt.Errorf("quote command: %w: the Go SDK strips quotes that wrap the whole value; the last argument must not be quoted", ErrUnquotable)
	}
	return s, nil
}

func quoteArg(a, goos string) (string, error) {
	switch {
	case a == "":
		return "", fmt.Errorf("%w: it is empty", ErrUnquotable)
	case !utf8.ValidString(a):
		return "", fmt.Errorf("%w: it is not valid UTF-8", ErrUnquotable)
	}
	bare := true
	for _, r := range a {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError {
			return "", fmt.Errorf("%w: it has a control character", ErrUnquotable)
		}
		if !isBareRune(r) {
			bare = false
		}
	}
	if bare {
		return a, nil
	}
	if goos == "windows" {
		// cmd.exe expands %VAR% even inside double quotes, and the Windows
		// argv rules give backslashes before a quote a meaning.
		if strings.ContainsAny(a, "\"%") || strings.HasSuffix(a, "\\") {
			return "", fmt.Errorf("%w: on Windows it may not hold \" or %% or end in a backslash", ErrUnquotable)
		}
		return `"` + a + `"`, nil
	}
	if !strings.ContainsAny(a, "\"\\$`") {
		return `"` + a + `"`, nil
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'", nil
}

// isBareRune reports whether r needs no quoting for shlex, sh and cmd.exe.
func isBareRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("_+=,.@/:-", r)
}
