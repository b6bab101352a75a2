package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/term"

	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// ask prompts on stderr and reads one line from stdin. current is shown in
// brackets and returned when the user just presses Enter; a secret is read
// without echo and its current value is shown masked.
func ask(s *streams, label, current string, secret bool) (string, error) {
	shown := current
	if secret && current != "" {
		shown = device.Mask(current)
	}
	if shown != "" {
		fmt.Fprintf(s.ErrOut, "%s [%s]: ", label, shown)
	} else {
		fmt.Fprintf(s.ErrOut, "%s: ", label)
	}
	var line string
	if secret {
		b, err := term.ReadPassword(s.inFd)
		fmt.Fprintln(s.ErrOut)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", strings.ToLower(label), err)
		}
		line = string(b)
	} else {
		l, err := s.lineReader().ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && l != "") {
			if errors.Is(err, io.EOF) {
				return "", exitcode.New(exitcode.Usage, fmt.Errorf("no answer for %s", strings.ToLower(label)), "")
			}
			return "", fmt.Errorf("read %s: %w", strings.ToLower(label), err)
		}
		line = l
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return current, nil
	}
	return line, nil
}

// readLine reads one line from r (the secret on stdin), without its line end.
func readLine(s *streams, what string) (string, error) {
	l, err := s.lineReader().ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read %s from stdin: %w", what, err)
	}
	l = strings.TrimRight(l, "\r\n")
	if l == "" {
		return "", exitcode.New(exitcode.Usage, fmt.Errorf("no %s on stdin", what), "pipe it in, e.g. `printf '%%s\\n' \"$SECRET\" | snowsts configure --secret-access-key-stdin ...`")
	}
	return l, nil
}
