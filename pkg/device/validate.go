package device

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// The bounds STS puts on AssumeRole's inputs.
const (
	MinDurationSeconds = 900
	MaxDurationSeconds = 43200
	// DefaultDurationSeconds is what snowsts asks for when the user says nothing.
	DefaultDurationSeconds = 3600
)

var (
	// roleARNPattern is arn:<partition>:iam::<account>:role/<path/name>. The
	// account is digits; the device's documentation also shows ARNs without one.
	roleARNPattern     = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*):iam::([0-9]*):role/([\x{0021}-\x{007E}]+)$`)
	roleNamePattern    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// ValidateRoleARN checks an IAM role ARN the way STS would before sending it.
func ValidateRoleARN(arn string) error {
	bad := func(why string) error {
		return exitcode.New(exitcode.Usage, fmt.Errorf("invalid --role-arn %q: %s", clip(arn), why),
			"a role ARN looks like arn:aws:iam::123456789012:role/NAME; `snowsts roles` lists the device's roles")
	}
	if !utf8.ValidString(arn) {
		return bad("not valid UTF-8")
	}
	if n := len(arn); n < 20 || n > 2048 {
		return bad(fmt.Sprintf("must be 20 to 2048 characters, got %d", n))
	}
	m := roleARNPattern.FindStringSubmatch(arn)
	if m == nil {
		return bad("want arn:<partition>:iam::<account>:role/<path/>name")
	}
	if m[2] != "" && len(m[2]) != 12 {
		return bad("the account must be 12 digits (or empty, as on some devices)")
	}
	full := m[3]
	name := full[strings.LastIndexByte(full, '/')+1:]
	if !roleNamePattern.MatchString(name) {
		return bad("the role name must be 1 to 64 of A-Z a-z 0-9 _+=,.@-")
	}
	if strings.HasPrefix(full, "/") || strings.Contains(full, "//") {
		return bad("the role path has an empty segment")
	}
	return nil
}

// RoleName is the last path segment of a role ARN: the role's name.
func RoleName(arn string) string {
	i := strings.LastIndexByte(arn, '/')
	if i < 0 {
		return ""
	}
	return arn[i+1:]
}

// ValidateSessionName checks a RoleSessionName: 2 to 64 of [A-Za-z0-9_+=,.@-].
func ValidateSessionName(name string) error {
	if !sessionNamePattern.MatchString(name) || !isASCII(name) {
		return exitcode.New(exitcode.Usage,
			fmt.Errorf("invalid --role-session-name %q: must be 2 to 64 of A-Z a-z 0-9 _+=,.@-", clip(name)), "")
	}
	return nil
}

// ValidateDuration checks DurationSeconds against STS's bounds.
func ValidateDuration(seconds int) error {
	if seconds < MinDurationSeconds || seconds > MaxDurationSeconds {
		return exitcode.New(exitcode.Usage,
			fmt.Errorf("invalid --duration-seconds %d: must be %d to %d", seconds, MinDurationSeconds, MaxDurationSeconds),
			"the role's own maximum may be lower; 3600 (one hour) is the usual default")
	}
	return nil
}

// DefaultSessionName is snowsts-<user>, sanitised to the characters STS allows,
// so that the same user and role always make the same session and cache key.
func DefaultSessionName(user string) string {
	var b strings.Builder
	b.WriteString("snowsts-")
	for _, r := range user {
		switch {
		case r < utf8.RuneSelf && (r == '_' || r == '+' || r == '=' || r == ',' || r == '.' || r == '@' || r == '-' ||
			r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "snowsts-" {
		s = "snowsts-user"
	}
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// ValidateCredentials refuses credentials from the device that could not be
// handed to a shell or a file safely: empty, or carrying control characters
// or non-ASCII bytes. The values are never part of the error.
func ValidateCredentials(c Credentials) error {
	for _, f := range []struct{ name, v string }{
		{"AccessKeyId", c.AccessKeyID}, {"SecretAccessKey", c.SecretAccessKey}, {"SessionToken", c.SessionToken},
	} {
		if f.v == "" {
			return exitcode.New(exitcode.Unreachable, fmt.Errorf("the device's reply has an empty %s", f.name), hintNonsense)
		}
		for i := 0; i < len(f.v); i++ {
			if b := f.v[i]; b < 0x21 || b > 0x7e {
				return exitcode.New(exitcode.Unreachable,
					fmt.Errorf("the device's reply has a %s with a control, space or non-ASCII character; refusing to use it", f.name), hintNonsense)
			}
		}
	}
	if c.Expiration.IsZero() {
		return exitcode.New(exitcode.Unreachable, errors.New("the device's reply has no Expiration"), hintNonsense)
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// clip shortens user input quoted in an error so a huge flag value cannot
// flood the terminal.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
