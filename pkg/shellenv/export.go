package shellenv

import (
	"errors"
	"fmt"
	"strings"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// Var is one environment variable to set.
type Var struct {
	Name  string
	Value string
}

// Export returns the whole script that sets vars, in order, in shell sh: one
// statement per variable, then a comment line that says how to run it. The
// script ends with a newline. It fails, returning no script, for an unknown
// shell, an invalid name (ErrInvalidName) or a value the shell cannot carry
// safely (ErrUnsafeValue, an exitcode.Config error with a hint); the error
// names the variable but never contains its value.
func Export(sh Shell, vars []Var) (string, error) {
	if err := checkShell(sh); err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	var b strings.Builder
	for _, v := range vars {
		if err := checkName(v.Name); err != nil {
			return "", fmt.Errorf("export for %s: %w", sh, err)
		}
		q, err := Quote(sh, v.Value)
		if err != nil {
			err = fmt.Errorf("export %s: %w", v.Name, err)
			if errors.Is(err, ErrUnsafeValue) {
				err = exitcode.New(exitcode.Config, err, unsafeHint(sh))
			}
			return "", err
		}
		switch sh {
		case Sh, Bash, Zsh:
			fmt.Fprintf(&b, "export %s=%s\n", v.Name, q)
		case Fish:
			fmt.Fprintf(&b, "set -gx %s %s;\n", v.Name, q)
		case PowerShell:
			fmt.Fprintf(&b, "$Env:%s = %s\n", v.Name, q)
		case Cmd:
			// q is "value"; cmd's form quotes NAME=value as one argument.
			fmt.Fprintf(&b, "set \"%s=%s\n", v.Name, q[1:])
		}
	}
	b.WriteString(runHint(sh, false))
	return b.String(), nil
}

// Unset returns the whole script that clears the named variables in shell sh,
// ending with a comment line and a newline. It fails for an unknown shell or
// an invalid name.
func Unset(sh Shell, names []string) (string, error) {
	if err := checkShell(sh); err != nil {
		return "", fmt.Errorf("unset: %w", err)
	}
	var b strings.Builder
	for _, n := range names {
		if err := checkName(n); err != nil {
			return "", fmt.Errorf("unset for %s: %w", sh, err)
		}
		switch sh {
		case Sh, Bash, Zsh:
			fmt.Fprintf(&b, "unset %s\n", n)
		case Fish:
			fmt.Fprintf(&b, "set -e %s;\n", n)
		case PowerShell:
			fmt.Fprintf(&b, "Remove-Item Env:%s -ErrorAction SilentlyContinue\n", n)
		case Cmd:
			fmt.Fprintf(&b, "set \"%s=\"\n", n)
		}
	}
	b.WriteString(runHint(sh, true))
	return b.String(), nil
}

func checkShell(sh Shell) error {
	for _, s := range Shells() {
		if sh == s {
			return nil
		}
	}
	return fmt.Errorf("shell %q: %w (valid: %s)", sh, ErrUnknownShell, validNames())
}

// runHint is the trailing comment line: how to evaluate the output.
func runHint(sh Shell, unset bool) string {
	flag := ""
	if unset {
		flag = " --unset"
	}
	switch sh {
	case Fish:
		return "# Run: snowsts env --shell fish" + flag + " | source\n"
	case PowerShell:
		return "# Run: snowsts env --shell powershell" + flag + " | Invoke-Expression\n"
	case Cmd:
		return `REM Run: for /f "delims=" %i in ('snowsts env --shell cmd` + flag + `') do @%i` + "\n"
	}
	return `# Run: eval "$(snowsts env --shell ` + string(sh) + flag + `)"` + "\n"
}

func unsafeHint(sh Shell) string {
	if sh == Cmd {
		return "cmd cannot carry this value safely; use --shell powershell"
	}
	return "the value cannot be written safely for " + string(sh) + "; check the profile and the device's reply"
}
