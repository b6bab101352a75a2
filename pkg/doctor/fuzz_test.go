package doctor

import (
	"os/exec"
	"strings"
	"testing"
)

// shUnquote reads one sh word made of bare safe characters and '…' / \'
// parts, as shellQuote writes it; ok is false for anything else.
func shUnquote(w string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(w); {
		switch {
		case w[i] == '\'':
			j := strings.IndexByte(w[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(w[i+1 : i+1+j])
			i += j + 2
		case w[i] == '\\' && i+1 < len(w):
			b.WriteByte(w[i+1])
			i += 2
		case strings.IndexByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:@", w[i]) >= 0:
			b.WriteByte(w[i])
			i++
		default:
			return "", false
		}
	}
	return b.String(), true
}

// FuzzShellQuote: a path in a fix line is one sh word that means the path.
func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"/home/op/.aws/credentials", "", "it's", "a b", "$(rm -rf /)", "`x`", "new\nline", "'''", "\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := shellQuote(s)
		got, ok := shUnquote(q)
		if !ok || got != s {
			t.Fatalf("shellQuote(%q) = %q, reads back as %q (ok %v)", s, q, got, ok)
		}
	})
}

// TestShellQuoteInSh checks the quoting with a real sh for the hard cases.
func TestShellQuoteInSh(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	for _, s := range []string{"/tmp/a b/credentials", "it's", "$(id)", "`id`", "a\nb", "*", "~", "-x"} {
		t.Run(s, func(t *testing.T) {
			out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(s)).Output()
			if err != nil || string(out) != s {
				t.Fatalf("sh printed %q for %q (%v)", out, s, err)
			}
		})
	}
}
