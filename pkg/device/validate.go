package device

import (
	"errors"
	"fmt"
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

// splitRoleARN matches arn:<partition>:iam::<account>:role/<path/name>, the
// pattern ^arn:(aws[a-zA-Z-]*):iam::([0-9]*):role/([\x21-\x7E]+)$, and returns
// the account (digits; the device's documentation also shows ARNs without one)
// and what follows "role/". It is written out by hand rather than as a
// regexp because compiling one costs every snowsts process at start-up, and
// credential-process, which the AWS tools run often, validates every ARN.
func splitRoleARN(arn string) (account, rest string, ok bool) {
	s, ok := strings.CutPrefix(arn, "arn:aws")
	if !ok {
		return "", "", false
	}
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] == '-') {
		i++
	}
	if s, ok = strings.CutPrefix(s[i:], ":iam::"); !ok {
		return "", "", false
	}
	i = 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	account = s[:i]
	if rest, ok = strings.CutPrefix(s[i:], ":role/"); !ok || rest == "" {
		return "", "", false
	}
	for j := 0; j < len(rest); j++ {
		if rest[j] < 0x21 || rest[j] > 0x7e {
			return "", "", false
		}
	}
	return account, rest, true
}

// isIAMName reports whether s is min to max of [A-Za-z0-9_+=,.@-], the
// characters of role and session names (the pattern ^[\w+=,.@-]{min,max}$).
func isIAMName(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0) {
			return false
		}
	}
	return true
}

// ValidateRoleARN checks an IAM role ARN the way STS would before sending it.
func ValidateRoleARN(arn string) error {
	bad := func(why string) error {
		return exitcode.New(exitcode.Usage, fmt.Errorf("invalid --role-arn %q: %s", Clip(arn), why),
			"a role ARN looks like arn:aws:iam::123456789012:role/NAME; `snowsts roles` lists the device's roles")
	}
	if !utf8.ValidString(arn) {
		return bad("not valid UTF-8")
	}
	if n := len(arn); n < 20 || n > 2048 {
		return bad(fmt.Sprintf("must be 20 to 2048 characters, got %d", n))
	}
	account, full, ok := splitRoleARN(arn)
	if !ok {
		return bad("want arn:<partition>:iam::<account>:role/<path/>name")
	}
	if account != "" && len(account) != 12 {
		return bad("the account must be 12 digits (or empty, as on some devices)")
	}
	name := full[strings.LastIndexByte(full, '/')+1:]
	if !isIAMName(name, 1, 64) {
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
	if !isIAMName(name, 2, 64) {
		return exitcode.New(exitcode.Usage,
			fmt.Errorf("invalid --role-session-name %q: must be 2 to 64 of A-Z a-z 0-9 _+=,.@-", Clip(name)), "")
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

// Clip shortens user input quoted in an error so that a huge flag value
// cannot flood the terminal.
func Clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
