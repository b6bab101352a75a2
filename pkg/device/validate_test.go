package device

import (
	"strings"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

func TestValidateRoleARN(t *testing.T) {
	tests := []struct {
		name string
		arn  string
		ok   bool
	}{
		{"plain", "arn:aws:iam::123456789012:role/admin", true},
		{"path", "arn:aws:iam::123456789012:role/ops/team/admin", true},
		{"no account as on the device docs", "arn:aws:iam:::role/snowball-role", true},
		{"other partition", "arn:aws-us-gov:iam::123456789012:role/x", true},
		{"name chars", "arn:aws:iam::123456789012:role/a+b=c,d.e@f-g_h", true},
		{"shortest", "arn:aws:iam:::role/a", true},
		{"too short", "arn:aws:iam::", false},
		{"too long", "arn:aws:iam::123456789012:role/" + strings.Repeat("p/", 1100) + "x", false},
		{"user not role", "arn:aws:iam::123456789012:user/admin", false},
		{"sts service", "arn:aws:sts::123456789012:role/admin", false},
		{"account letters", "arn:aws:iam::12345678901a:role/admin", false},
		{"account 11 digits", "arn:aws:iam::12345678901:role/admin", false},
		{"empty name", "arn:aws:iam::123456789012:role/ops/", false},
		{"space in name", "arn:aws:iam::123456789012:role/ad min", false},
		{"newline", "arn:aws:iam::123456789012:role/admin\n", false},
		{"double slash", "arn:aws:iam::123456789012:role//admin", false},
		{"not utf8", "arn:aws:iam::123456789012:role/\xff\xfe", false},
		{"name too long", "arn:aws:iam::123456789012:role/" + strings.Repeat("n", 65), false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateRoleARN(tt.arn)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateRoleARN(%q) = %v, want ok=%v", tt.arn, err, tt.ok)
			}
			if err != nil && exitcode.Of(err) != exitcode.Usage {
				t.Fatalf("exit code %d, want %d", exitcode.Of(err), exitcode.Usage)
			}
		})
	}
}

func TestValidateSessionName(t *testing.T) {
	for name, ok := range map[string]bool{
		"ab": true, "snowsts-root": true, "a+b=c,d.e@f-g_h": true, strings.Repeat("x", 64): true,
		"a": false, "": false, strings.Repeat("x", 65): false, "has space": false, "tab\t": false,
		"émile": false, "semi;colon": false, "slash/": false,
	} {
		if err := ValidateSessionName(name); (err == nil) != ok {
			t.Errorf("ValidateSessionName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestValidateDuration(t *testing.T) {
	for d, ok := range map[int]bool{899: false, 900: true, 3600: true, 43200: true, 43201: false, 0: false, -1: false} {
		if err := ValidateDuration(d); (err == nil) != ok {
			t.Errorf("ValidateDuration(%d) = %v, want ok=%v", d, err, ok)
		}
	}
}

func TestDefaultSessionName(t *testing.T) {
	tests := []struct{ user, want string }{
		{"root", "snowsts-root"},
		{"jane.doe", "snowsts-jane.doe"},
		{"DOMAIN\\jane doe", "snowsts-DOMAIN_jane_doe"},
		{"émile", "snowsts-_mile"},
		{"", "snowsts-user"},
		{strings.Repeat("u", 100), "snowsts-" + strings.Repeat("u", 56)},
	}
	for _, tt := range tests {
		got := DefaultSessionName(tt.user)
		if got != tt.want {
			t.Errorf("DefaultSessionName(%q) = %q, want %q", tt.user, got, tt.want)
		}
		if err := ValidateSessionName(got); err != nil {
			t.Errorf("DefaultSessionName(%q) = %q is not valid: %v", tt.user, got, err)
		}
	}
}

func TestValidateCredentials(t *testing.T) {
	good := Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "abc/def+ghi", SessionToken: "tok==", Expiration: time.Now()}
	if err := ValidateCredentials(good); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Credentials){
		"newline in secret":  func(c *Credentials) { c.SecretAccessKey = "abc\ndef" },
		"quote-free space":   func(c *Credentials) { c.SessionToken = "a b" },
		"escape in key":      func(c *Credentials) { c.AccessKeyID = "ASIA\x1b[2J" },
		"non-ascii in token": func(c *Credentials) { c.SessionToken = "tök" },
		"empty token":        func(c *Credentials) { c.SessionToken = "" },
		"no expiration":      func(c *Credentials) { c.Expiration = time.Time{} },
	} {
		c := good
		mutate(&c)
		err := ValidateCredentials(c)
		if err == nil || exitcode.Of(err) != exitcode.Unreachable {
			t.Errorf("%s: got %v, want an exit-5 error", name, err)
			continue
		}
		for _, secret := range []string{c.SecretAccessKey, c.SessionToken} {
			if len(secret) > 3 && strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error %q reveals a secret", name, err)
			}
		}
	}
}

func FuzzValidateRoleARN(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/admin")
	f.Add("arn:aws:iam:::role/a/b/c")
	f.Add("arn:aws:iam::123456789012:role/\x00")
	f.Fuzz(func(t *testing.T, arn string) {
		if err := ValidateRoleARN(arn); err == nil {
			// Whatever passes must be safe to put in a file, a shell and a URL.
			for i := 0; i < len(arn); i++ {
				if arn[i] <= ' ' || arn[i] >= 0x7f {
					t.Fatalf("accepted %q with byte %#x", arn, arn[i])
				}
			}
			if RoleName(arn) == "" || !strings.HasPrefix(arn, "arn:") {
				t.Fatalf("accepted %q without a role name", arn)
			}
		}
	})
}

func FuzzValidateSessionName(f *testing.F) {
	f.Add("snowsts-root")
	f.Add("a")
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateSessionName(s) == nil {
			if len(s) < 2 || len(s) > 64 || strings.ContainsAny(s, " \t\n/;'\"$`\\") {
				t.Fatalf("accepted %q", s)
			}
		}
		if got := DefaultSessionName(s); ValidateSessionName(got) != nil {
			t.Fatalf("DefaultSessionName(%q) = %q is invalid", s, got)
		}
	})
}
