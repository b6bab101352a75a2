package shellenv

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// nastyValues are values built to break out of quoting in one shell or another.
// None holds a NUL, so every sh-family and fish quoter must accept them all.
var nastyValues = []string{
	"",
	"plain",
	"'",
	"''",
	"'''",
	"a''b",
	`\`,
	`\\`,
	`a\`,
	`\'`,
	`\\'`,
	`'\''`,
	`'"'"'`,
	"'; touch PWNED; '",
	"\\'; touch PWNED; #",
	"\\\\'; touch PWNED; #",
	`"; touch PWNED; "`,
	"$(touch PWNED)",
	"`touch PWNED`",
	"${IFS}touch${IFS}PWNED",
	"$((1+1))",
	"$HOME ${HOME} $0 $$ $? $!",
	"(touch PWNED)",
	"; touch PWNED",
	"&& touch PWNED",
	"| touch PWNED",
	"& touch PWNED &",
	"> PWNED",
	">PWNED 2>&1",
	"< /etc/passwd",
	"\ntouch PWNED\n",
	"\rtouch PWNED",
	"'\ntouch PWNED\n'",
	"x'\ntouch PWNED\n#",
	"\\\ntouch PWNED",
	"*",
	"?",
	"[a-z]*",
	"~",
	"~root",
	"{a,b}",
	"{touch,PWNED}",
	"!!",
	"!$",
	"^foo^bar",
	"#comment",
	" leading and trailing space ",
	"\ttab\t",
	"a;b",
	"\x1b[31mred\x1b[0m",
	"\x01\x02\x7f",
	"\u2018touch PWNED\u2019",
	"\u201a\u201b",
	"\u2019; touch PWNED; \u2019",
	"€",
	"naïve café",
	"😀",
	"\xff\xfe\x80",
	"\xe2\x82\xac\\",
	"\x81\\'; touch PWNED; #",
	"\x81'",
	"\xc3",
	"$Env:PATH",
	"$(Remove-Item -Recurse PWNED)",
	"@(1,2)",
	"%PATH%",
	"!PATH!",
	"^&calc",
	"\"&calc&\"",
	"%~dp0",
	"$'\\x41'",
	"\\x41\\X41\\u0041",
	"set -gx PWNED 1",
	"end; touch PWNED; begin",
	"http://192.0.2.10:7078",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY+/=",
	"/home/o'neil/ca cert.pem",
	`C:\Users\op\ca bundle.pem`,
}

// randomValues returns n values from a fixed seed, heavy in shell
// metacharacters and including every non-NUL byte.
func randomValues(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	const special = "'\"\\$`;|&<>(){}[]*?~!#%^= \t\n\r\u2018\u2019\u201a\u201b"
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for range r.IntN(40) {
			switch r.IntN(3) {
			case 0:
				b.WriteByte(byte(1 + r.IntN(255)))
			case 1:
				s := []rune(special)
				b.WriteRune(s[r.IntN(len(s))])
			default:
				b.WriteByte("abcXYZ019-_/.:"[r.IntN(14)])
			}
		}
		out[i] = b.String()
	}
	long := make([]byte, 8192)
	for i := range long {
		long[i] = byte(1 + r.IntN(255))
	}
	return append(out, string(long))
}

// unquoteWord reads back the word that quotePOSIX (fish=false) or quoteFish
// (fish=true) writes, enforcing the scheme's structure: quoted runs hold no '
// or \ (and, for fish, only printable ASCII); outside quotes only \' \\ (and,
// for fish, \xHH below 0x80 and \XHH) may appear. Anything else is an error.
func unquoteWord(s string, fish bool) (string, error) {
	if s == "" {
		return "", errors.New("empty word")
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch s[i] {
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return "", fmt.Errorf("unterminated quote at %d", i)
			}
			run := s[i+1 : i+1+end]
			for j := 0; j < len(run); j++ {
				c := run[j]
				if c == '\\' {
					return "", fmt.Errorf("backslash inside quotes at %d", i+1+j)
				}
				if fish && (c < 0x20 || c > 0x7e) {
					return "", fmt.Errorf("non-printable byte %#x inside fish quotes", c)
				}
			}
			if run == "" && len(s) != 2 {
				return "", fmt.Errorf("empty quoted run at %d in a non-empty value", i)
			}
			b.WriteString(run)
			i += end + 2
		case '\\':
			if i+1 >= len(s) {
				return "", errors.New("trailing backslash")
			}
			switch c := s[i+1]; {
			case c == '\'' || c == '\\':
				b.WriteByte(c)
				i += 2
			case fish && (c == 'x' || c == 'X') && i+4 <= len(s):
				n, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
				if err != nil {
					return "", fmt.Errorf("bad escape %q", s[i:i+4])
				}
				if c == 'x' && n >= 0x80 || c == 'X' && n < 0x80 {
					return "", fmt.Errorf("escape %q in the wrong form", s[i:i+4])
				}
				b.WriteByte(byte(n))
				i += 4
			default:
				return "", fmt.Errorf("unexpected escape %q", s[i:i+2])
			}
		default:
			return "", fmt.Errorf("unquoted byte %#x at %d", s[i], i)
		}
	}
	return b.String(), nil
}

// smartQuotes are the characters PowerShell treats as single quotes.
const smartQuotes = "\u2018\u2019\u201a\u201b"

// unquotePowerShell reads back the expression quotePowerShell writes: single-
// quoted strings of printable ASCII with ' doubled, and [char]0xHHHH terms,
// joined by " + ", the first a string.
func unquotePowerShell(s string) (string, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return "", fmt.Errorf("byte %#x outside printable ASCII at %d", s[i], i)
		}
	}
	var units []uint16
	for i, first := 0, true; ; first = false {
		if !first {
			if !strings.HasPrefix(s[i:], " + ") {
				return "", fmt.Errorf("want ' + ' at %d", i)
			}
			i += 3
		}
		switch {
		case strings.HasPrefix(s[i:], "'"):
			i++
			for {
				if i >= len(s) {
					return "", errors.New("unterminated string")
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						units = append(units, '\'')
						i += 2
						continue
					}
					i++
					break
				}
				units = append(units, uint16(s[i]))
				i++
			}
		case !first && strings.HasPrefix(s[i:], "[char]0x") && i+12 <= len(s):
			n, err := strconv.ParseUint(s[i+8:i+12], 16, 16)
			if err != nil {
				return "", fmt.Errorf("bad [char] term %q", s[i:i+12])
			}
			units = append(units, uint16(n))
			i += 12
		default:
			return "", fmt.Errorf("unexpected term at %d", i)
		}
		if i == len(s) {
			break
		}
	}
	return string(utf16.Decode(units)), nil
}

// cmdSafe reports whether every byte of v may sit inside set "NAME=v".
func cmdSafe(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c > 0x7e || strings.IndexByte(`%"!^`, c) >= 0 {
			return false
		}
	}
	return true
}

// checkQuote quotes v for every shell and checks the result structurally,
// reporting failures on t. It is the body of TestQuoteStructure and FuzzQuote.
func checkQuote(t *testing.T, v string) {
	t.Helper()
	hasNUL := strings.IndexByte(v, 0) >= 0
	for _, sh := range Shells() {
		q, err := Quote(sh, v)
		wantErr := hasNUL ||
			sh == PowerShell && !utf8.ValidString(v) ||
			sh == Cmd && !cmdSafe(v)
		if wantErr {
			if err == nil {
				t.Errorf("Quote(%s, %q) = %q, want error", sh, v, q)
			} else if !errors.Is(err, ErrUnsafeValue) {
				t.Errorf("Quote(%s, %q) error %v does not wrap ErrUnsafeValue", sh, v, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Quote(%s, %q): %v", sh, v, err)
			continue
		}
		var got string
		switch sh {
		case Sh, Bash, Zsh, Fish:
			got, err = unquoteWord(q, sh == Fish)
		case PowerShell:
			if strings.ContainsAny(q, smartQuotes) {
				t.Errorf("Quote(%s, %q) = %q holds a quote-like character", sh, v, q)
			}
			got, err = unquotePowerShell(q)
		case Cmd:
			got, err = strings.TrimSuffix(strings.TrimPrefix(q, `"`), `"`), nil
			if len(q) < 2 || !cmdSafe(got) {
				err = fmt.Errorf("cmd literal %q is not a safe quoted string", q)
			}
		}
		if err != nil {
			t.Errorf("Quote(%s, %q) = %q does not parse back: %v", sh, v, q, err)
		} else if got != v {
			t.Errorf("Quote(%s, %q) = %q reads back as %q", sh, v, q, got)
		}
	}
}

func TestQuoteStructure(t *testing.T) {
	values := append(append([]string{}, nastyValues...), randomValues(500, 1)...)
	values = append(values, "\x00", "a\x00b", "'\x00")
	for i, v := range values {
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkQuote(t, v) })
	}
}

func TestQuoteGolden(t *testing.T) {
	tests := []struct {
		name  string
		shell Shell
		in    string
		want  string
	}{
		{"sh plain", Sh, "abc", "'abc'"},
		{"sh empty", Sh, "", "''"},
		{"sh quote", Sh, "it's", `'it'\''s'`},
		{"sh only quotes", Bash, "''", `\'\'`},
		{"sh backslash", Zsh, `C:\x`, `'C:'\\'x'`},
		{"sh command substitution", Sh, "$(id)", "'$(id)'"},
		{"fish plain", Fish, "abc", "'abc'"},
		{"fish tab", Fish, "\t", `\x09`},
		{"fish del", Fish, "\x7f", `\x7f`},
		{"fish raw byte", Fish, "\xff", `\XFF`},
		{"powershell quote doubled", PowerShell, "it's", "'it''s'"},
		{"powershell only char", PowerShell, "\n", "'' + [char]0x000A"},
		{"powershell subexpression literal", PowerShell, `$(calc) "x"`, `'$(calc) "x"'`},
		{"cmd plain", Cmd, "a b&c", `"a b&c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Quote(tt.shell, tt.in)
			if err != nil || got != tt.want {
				t.Errorf("Quote(%s, %q) = %q, %v; want %q", tt.shell, tt.in, got, err, tt.want)
			}
		})
	}
	if _, err := Quote("csh", "x"); !errors.Is(err, ErrUnknownShell) {
		t.Errorf("Quote(csh) error %v, want ErrUnknownShell", err)
	}
}

func FuzzQuote(f *testing.F) {
	for _, v := range nastyValues {
		f.Add(v)
	}
	f.Add("\x00")
	f.Add("a\x00'")
	f.Fuzz(func(t *testing.T, v string) {
		checkQuote(t, v)
		if strings.IndexByte(v, 0) >= 0 {
			return
		}
		// The real shells, one process per input: bash and fish only.
		for _, rs := range realShells {
			if rs.name != "bash" && rs.name != "fish" {
				continue
			}
			if !rs.available() {
				continue
			}
			runExportCheck(t, rs, "C.UTF-8", []string{v})
		}
	})
}

// FuzzQuoteStructure is FuzzQuote without the real shells: the structural
// read-back for every shell, fast enough to explore many more inputs.
func FuzzQuoteStructure(f *testing.F) {
	for _, v := range nastyValues {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) { checkQuote(t, v) })
}
