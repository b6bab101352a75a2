package shellenv

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Quote returns value as a literal of shell sh that evaluates to exactly value
// and runs nothing: for sh, bash, zsh and fish a shell word; for PowerShell an
// expression (a single-quoted string, joined with [char] codes where needed);
// for cmd a double-quoted argument. The package comment gives the scheme for
// each shell. It fails with ErrUnsafeValue for a value the shell cannot carry
// safely (a NUL anywhere; for PowerShell invalid UTF-8; for cmd anything but
// printable ASCII other than % " ! ^), and with ErrUnknownShell. The error
// never contains the value.
func Quote(sh Shell, value string) (string, error) {
	if strings.IndexByte(value, 0) >= 0 {
		return "", fmt.Errorf("quote for %s: %w: it contains a NUL byte, which no environment can hold", sh, ErrUnsafeValue)
	}
	switch sh {
	case Sh, Bash, Zsh:
		return quotePOSIX(value), nil
	case Fish:
		return quoteFish(value), nil
	case PowerShell:
		if !utf8.ValidString(value) {
			return "", fmt.Errorf("quote for %s: %w: it is not valid UTF-8, which the Windows environment cannot hold", sh, ErrUnsafeValue)
		}
		return quotePowerShell(value), nil
	case Cmd:
		if err := checkCmd(value); err != nil {
			return "", fmt.Errorf("quote for %s: %w", sh, err)
		}
		return `"` + value + `"`, nil
	}
	return "", fmt.Errorf("quote for %q: %w (valid: %s)", sh, ErrUnknownShell, validNames())
}

// quotePOSIX puts runs of bytes other than ' and \ in single quotes and writes
// ' and \ unquoted as \' and \\. See the package comment for why no quoted run
// holds a backslash.
func quotePOSIX(v string) string {
	return quoteRuns(v, func(c byte) bool { return c != '\'' && c != '\\' }, nil)
}

// quoteFish is quotePOSIX limited to printable ASCII inside the quotes; other
// bytes become fish escapes outside them: \xHH below 0x80, raw-byte \XHH above.
func quoteFish(v string) string {
	return quoteRuns(v, isPlainASCII, func(b *strings.Builder, c byte) {
		if c < 0x80 {
			fmt.Fprintf(b, `\x%02x`, c)
		} else {
			fmt.Fprintf(b, `\X%02X`, c)
		}
	})
}

// isPlainASCII reports whether c is printable ASCII other than ' and \.
func isPlainASCII(c byte) bool {
	return c >= 0x20 && c <= 0x7e && c != '\'' && c != '\\'
}

// quoteRuns writes the maximal runs of bytes for which plain is true inside
// single quotes, ' and \ as \' and \\, and any other byte through escape.
func quoteRuns(v string, plain func(byte) bool, escape func(*strings.Builder, byte)) string {
	if v == "" {
		return "''"
	}
	var b strings.Builder
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case plain(c):
			j := i + 1
			for j < len(v) && plain(v[j]) {
				j++
			}
			b.WriteByte('\'')
			b.WriteString(v[i:j])
			b.WriteByte('\'')
			i = j
			continue
		case c == '\'' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			escape(&b, c)
		}
		i++
	}
	return b.String()
}

// quotePowerShell writes printable ASCII in single-quoted strings with '
// doubled and every other UTF-16 code unit as [char]0xHHHH, joined with " + ".
// The first term is always a string, so + concatenates. v must be valid UTF-8.
func quotePowerShell(v string) string {
	var terms []string
	var lit strings.Builder
	inLit := false
	flush := func() {
		if inLit {
			terms = append(terms, "'"+lit.String()+"'")
			lit.Reset()
			inLit = false
		}
	}
	for _, r := range v {
		if r >= 0x20 && r <= 0x7e {
			inLit = true
			if r == '\'' {
				lit.WriteString("''")
			} else {
				lit.WriteRune(r)
			}
			continue
		}
		flush()
		for _, u := range utf16.Encode([]rune{r}) {
			terms = append(terms, fmt.Sprintf("[char]0x%04X", u))
		}
	}
	flush()
	if len(terms) == 0 || !strings.HasPrefix(terms[0], "'") {
		terms = append([]string{"''"}, terms...)
	}
	return strings.Join(terms, " + ")
}

// checkCmd refuses what cmd cannot carry inside `set "NAME=value"`.
func checkCmd(v string) error {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '%':
			return fmt.Errorf("%w: it contains %%, which cmd expands even inside quotes", ErrUnsafeValue)
		case c == '"':
			return fmt.Errorf("%w: it contains \", which ends cmd's quoting", ErrUnsafeValue)
		case c == '!':
			return fmt.Errorf("%w: it contains !, which cmd expands under delayed expansion", ErrUnsafeValue)
		case c == '^':
			return fmt.Errorf("%w: it contains ^, which cmd treats as an escape under delayed expansion", ErrUnsafeValue)
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("%w: it contains a control character (a line break ends a cmd command)", ErrUnsafeValue)
		case c >= 0x80:
			return fmt.Errorf("%w: it contains a non-ASCII character, which cmd reads through the console code page", ErrUnsafeValue)
		}
	}
	return nil
}
