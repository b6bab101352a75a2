// Package shellenv writes the shell code that `snowsts env` prints for
// `eval "$(snowsts env)"` and its equivalents: lines that set, or clear, the
// AWS_* environment variables in sh, bash, zsh, fish, PowerShell and cmd.
//
// The values come from a device over the network and from files, so they are
// treated as hostile: the quoting is built so that no value can run code in the
// shell that evaluates it, and a value that a shell cannot carry safely is
// refused with an error instead of being printed. The choices, per shell:
//
//   - sh, bash, zsh: the value is split into runs of bytes other than ' and \,
//     each run inside single quotes (fully literal in POSIX shells), and every '
//     and \ written outside quotes as \' and \\. No quoted run ever holds a quote
//     or a backslash, so zsh's RC_QUOTES option cannot change the meaning, and
//     the same text is also read literally by fish (fish single quotes only treat
//     \\ and \' specially). Other bytes, newlines and non-UTF-8 included, are
//     carried raw inside the quotes: 0x27 is never part of a multibyte character
//     in any locale encoding these shells support.
//   - fish: the same scheme, but only printable ASCII goes inside quotes; control
//     characters become \xHH and every byte from 0x80 up becomes \XHH (fish's
//     raw-byte escape) outside quotes. The output is pure printable ASCII, so it
//     means the same in every locale, each assignment is one line (safe for
//     `eval (snowsts env)`, which joins lines with spaces), and a sh-family shell
//     that evaluates it by mistake reads no code from a value either.
//   - PowerShell: printable ASCII goes inside single quotes with ' doubled; every
//     other character (control characters, anything non-ASCII, which includes
//     the quote-like U+2018..U+201B that PowerShell also ends single-quoted
//     strings with) is appended as [char]0xHHHH, e.g. 'a' + [char]0x20AC. The
//     output is pure printable ASCII with one statement per line, so it is safe
//     under `| Invoke-Expression` (which runs line by line) and whatever code
//     page the console decodes it with. Values must be valid UTF-8.
//   - cmd: `set "NAME=value"`. cmd expands %VAR% even inside quotes, a " ends
//     the quoting, ! expands under delayed expansion, ^ is an escape when
//     delayed expansion rescans a line, and a line break ends the command; there
//     is no escaping that survives both an interactive paste and
//     `for /f "delims=" %i in ('snowsts env --shell cmd') do @%i`. So a cmd
//     value may hold only printable ASCII other than % " ! ^; anything else (a
//     control or non-ASCII character included, whose meaning depends on the
//     console code page) is refused. Inside the quotes & | < > ( ) are literal.
//
// A NUL byte is refused for every shell: no environment can hold it. An empty
// value is written as an empty literal; note that PowerShell and cmd treat
// assigning the empty string as removing the variable.
//
// Errors never include a value, since values include secret keys and tokens.
package shellenv

import (
	"errors"
	"fmt"
	"strings"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// Shell names a shell whose syntax Export, Unset and Quote write.
type Shell string

// The shells snowsts writes environment code for.
const (
	Sh         Shell = "sh"
	Bash       Shell = "bash"
	Zsh        Shell = "zsh"
	Fish       Shell = "fish"
	PowerShell Shell = "powershell"
	Cmd        Shell = "cmd"
)

// Shells returns the valid shell names, in the order the contract lists them.
func Shells() []Shell {
	return []Shell{Sh, Bash, Zsh, Fish, PowerShell, Cmd}
}

// The environment variables of the `snowsts env` contract.
const (
	AccessKeyID          = "AWS_ACCESS_KEY_ID"
	SecretAccessKey      = "AWS_SECRET_ACCESS_KEY"
	SessionToken         = "AWS_SESSION_TOKEN"
	Region               = "AWS_REGION"
	DefaultRegion        = "AWS_DEFAULT_REGION"
	CredentialExpiration = "AWS_CREDENTIAL_EXPIRATION"
	EndpointURLSTS       = "AWS_ENDPOINT_URL_STS"
	EndpointURLIAM       = "AWS_ENDPOINT_URL_IAM"
	EndpointURLS3        = "AWS_ENDPOINT_URL_S3"
	EndpointURLEC2       = "AWS_ENDPOINT_URL_EC2"
	CABundle             = "AWS_CA_BUNDLE"
)

// Names returns the contract's variable names in the order `snowsts env`
// prints them; `--unset` clears the same list.
func Names() []string {
	return []string{
		AccessKeyID, SecretAccessKey, SessionToken, Region, DefaultRegion,
		CredentialExpiration, EndpointURLSTS, EndpointURLIAM, EndpointURLS3,
		EndpointURLEC2, CABundle,
	}
}

// Errors that Export, Unset, Quote and ParseShell wrap; test with errors.Is.
var (
	// ErrUnknownShell means a shell name is not one of Shells().
	ErrUnknownShell = errors.New("unknown shell")
	// ErrInvalidName means a variable name does not match ^[A-Za-z_][A-Za-z0-9_]*$.
	ErrInvalidName = errors.New("invalid variable name")
	// ErrUnsafeValue means a value cannot be written safely for the shell.
	ErrUnsafeValue = errors.New("value cannot be carried safely")
)

// ParseShell returns the Shell for a --shell flag value. It accepts the names
// of Shells() in any letter case, and "pwsh" for PowerShell. The error, an
// exitcode.Usage error, lists the valid names.
func ParseShell(name string) (Shell, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "pwsh" {
		return PowerShell, nil
	}
	for _, s := range Shells() {
		if n == string(s) {
			return s, nil
		}
	}
	valid := validNames()
	return "", exitcode.New(exitcode.Usage,
		fmt.Errorf("parse shell %q: %w (valid: %s)", name, ErrUnknownShell, valid),
		"pass --shell with one of: "+valid)
}

func validNames() string {
	var names []string
	for _, s := range Shells() {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}

// shellByProgram maps a shell program's base name (lower case, without .exe)
// to the syntax it reads. POSIX shells without a syntax of their own read sh.
var shellByProgram = map[string]Shell{
	"sh": Sh, "dash": Sh, "ash": Sh, "ksh": Sh, "ksh93": Sh, "mksh": Sh,
	"oksh": Sh, "pdksh": Sh, "yash": Sh, "posh": Sh, "busybox": Sh,
	"bash": Bash, "zsh": Zsh, "fish": Fish,
	"pwsh": PowerShell, "powershell": PowerShell, "pwsh-preview": PowerShell,
	"cmd": Cmd,
}

// Detect guesses the user's shell from the environment, read through getenv
// (os.Getenv in the command; a map in tests). $SHELL, when set, decides by its
// base name (bash, zsh, fish, pwsh, ...; an unknown program gives Sh). Without
// $SHELL, as on Windows: a PSModulePath of three or more entries means
// PowerShell (PowerShell adds the user's module directory to the two that
// Windows sets), else a ComSpec means cmd, else Sh. It is a best guess; the
// --shell flag is authoritative.
func Detect(getenv func(string) string) Shell {
	if shell := getenv("SHELL"); shell != "" {
		if s, ok := shellByProgram[programName(shell)]; ok {
			return s
		}
		return Sh
	}
	if entries(getenv("PSModulePath")) >= 3 {
		return PowerShell
	}
	if getenv("ComSpec") != "" {
		return Cmd
	}
	return Sh
}

// programName returns the lower-case base name of a program path, without a
// login shell's leading "-" or a ".exe" suffix; it accepts / and \ separators.
func programName(path string) string {
	base := path[strings.LastIndexAny(path, `/\`)+1:]
	base = strings.ToLower(strings.TrimPrefix(base, "-"))
	return strings.TrimSuffix(base, ".exe")
}

func entries(list string) int {
	n := 0
	for _, e := range strings.Split(list, ";") {
		if strings.TrimSpace(e) != "" {
			n++
		}
	}
	return n
}

// validName reports whether name matches ^[A-Za-z_][A-Za-z0-9_]*$ (written
// out rather than as a regexp, whose compilation every run of snowsts would pay
// for at start-up).
func validName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return name != ""
}

func checkName(name string) error {
	if !validName(name) {
		return fmt.Errorf("%w %q: want letters, digits and _, not starting with a digit", ErrInvalidName, name)
	}
	return nil
}
