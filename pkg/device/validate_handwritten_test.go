package device

import (
	"regexp"
	"testing"
)

// The patterns splitRoleARN and isIAMName implement by hand (they were
// regexps once; compiling them cost every snowsts start).
var (
	roleARNRegexp     = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*):iam::([0-9]*):role/([\x{0021}-\x{007E}]+)$`)
	roleNameRegexp    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	sessionNameRegexp = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

func checkAgainstRegexps(t *testing.T, s string) {
	t.Helper()
	account, rest, ok := splitRoleARN(s)
	m := roleARNRegexp.FindStringSubmatch(s)
	if ok != (m != nil) || ok && (account != m[2] || rest != m[3]) {
		t.Errorf("splitRoleARN(%q) = %q, %q, %v; regexp says %q", s, account, rest, ok, m)
	}
	if got, want := isIAMName(s, 1, 64), roleNameRegexp.MatchString(s); got != want {
		t.Errorf("isIAMName(%q, 1, 64) = %v, regexp says %v", s, got, want)
	}
	if got, want := isIAMName(s, 2, 64), sessionNameRegexp.MatchString(s); got != want {
		t.Errorf("isIAMName(%q, 2, 64) = %v, regexp says %v", s, got, want)
	}
}

func TestHandwrittenMatchesRegexps(t *testing.T) {
	for _, s := range []string{
		"", "a", "ab", "arn:aws:iam::123456789012:role/admin", "arn:aws:iam:::role/admin",
		"arn:aws-us-gov:iam::123456789012:role/ops/auditor", "arn:aws:iam::123456789012:role/",
		"arn:aws:iam::12345678901a:role/x", "arn:awsX-y:iam::1:role/a b", "arn:aws:sts::1:role/x",
		"arn:aws:iam::1:user/x", "arn:aws:iam::1:role/ä", "arn:aws:iam::1:role/~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
		"arn:aws1:iam::1:role/x", "xarn:aws:iam::1:role/x", "arn:aws:iam::1:role/x\n",
		"snowsts-tester", "a+b=c,d.e@f-g_h", "has space", "ünï", "0123456789012345678901234567890123456789012345678901234567890123",
		"01234567890123456789012345678901234567890123456789012345678901234",
	} {
		checkAgainstRegexps(t, s)
	}
}

func FuzzHandwrittenMatchesRegexps(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/admin")
	f.Add("arn:aws-cn:iam:::role/a/b/c")
	f.Add("snowsts-tester")
	f.Fuzz(checkAgainstRegexps)
}
